"""Records of the multi-leg workflow (IV history, strategy candidates, allocations) for the database.

The scan and the allocator map their own results onto these; the database needs no more than this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from optionpilot.domain.orders import OrderLeg
from optionpilot.persistence.rows import Row, finite, jsonable, legs_json


@dataclass(frozen=True, slots=True)
class IvPoint:
    symbol: str
    day: date
    atm_iv: float
    source: str


@dataclass(frozen=True, slots=True)
class StrategyCandidateRecord:
    candidate_id: str
    ts: datetime
    underlying: str
    strategy_type: str
    legs: tuple[OrderLeg, ...]
    net_premium: Decimal  # per unit in currency: + debit paid, - credit received
    max_profit: Decimal | None  # None: unlimited
    max_loss: Decimal | None  # None: unlimited
    breakevens: tuple[Decimal, ...]
    pop: float
    expected_value: Decimal
    margin: Decimal
    score: float
    conviction: str  # VERY_HIGH | HIGH | MEDIUM | LOW
    reason: str
    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0
    score_components: dict[str, float] = field(default_factory=dict)
    status: str = "candidate"  # candidate | marked | executed | skipped


@dataclass(frozen=True, slots=True)
class AllocationRecord:
    plan_id: str
    candidate_id: str
    ts: datetime
    tier: str
    industry: str
    position_type: str  # LONG | SHORT
    lots: int
    capital: Decimal
    max_loss: Decimal
    expected_return: Decimal
    kelly_fraction: float
    reason: str


def iv_row(run_id: str | None, p: IvPoint) -> Row:
    return {
        "run_id": run_id,
        "symbol": p.symbol,
        "day": p.day,
        "atm_iv": finite(p.atm_iv, f"ATM IV of {p.symbol} on {p.day.isoformat()}"),
        "source": p.source,
    }


def candidate_row(run_id: str, c: StrategyCandidateRecord) -> Row:
    what = f"candidate {c.candidate_id}"
    return {
        "run_id": run_id,
        "candidate_id": c.candidate_id,
        "ts": c.ts,
        "underlying": c.underlying,
        "strategy_type": c.strategy_type,
        "legs": legs_json(c.legs),
        "net_premium": c.net_premium,
        "max_profit": c.max_profit,
        "max_loss": c.max_loss,
        "breakevens": jsonable(list(c.breakevens)),
        "pop": finite(c.pop, f"POP of {what}"),
        "expected_value": c.expected_value,
        "delta": finite(c.delta, f"delta of {what}"),
        "gamma": finite(c.gamma, f"gamma of {what}"),
        "vega": finite(c.vega, f"vega of {what}"),
        "theta": finite(c.theta, f"theta of {what}"),
        "margin": c.margin,
        "score": finite(c.score, f"score of {what}"),
        "score_components": jsonable(c.score_components),
        "conviction": c.conviction,
        "reason": c.reason,
        "status": c.status,
    }


def allocation_row(run_id: str, a: AllocationRecord) -> Row:
    return {
        "run_id": run_id,
        "plan_id": a.plan_id,
        "candidate_id": a.candidate_id,
        "ts": a.ts,
        "tier": a.tier,
        "industry": a.industry,
        "position_type": a.position_type,
        "lots": a.lots,
        "capital": a.capital,
        "max_loss": a.max_loss,
        "expected_return": a.expected_return,
        "kelly_fraction": finite(a.kelly_fraction, f"Kelly fraction of allocation {a.candidate_id}"),
        "reason": a.reason,
    }
