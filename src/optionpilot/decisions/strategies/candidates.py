"""One candidate as a record: Decimal money, order legs, the numbers that justify it and the reason."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import numpy as np

from optionpilot.core.money import cents, to_tick
from optionpilot.decisions.strategies.builder import ChainScan, MeasuredBatch
from optionpilot.decisions.strategies.catalog import PROFILES, Bias, StrategyType
from optionpilot.decisions.strategies.legs import STOCK_ROW
from optionpilot.domain.instruments import Stock
from optionpilot.domain.orders import OrderLeg, Side


class Conviction(StrEnum):
    VERY_HIGH = "VERY_HIGH"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


@dataclass(frozen=True, slots=True)
class StrategyCandidate:
    """Money is per unit (one of each leg times its ratio); premiums per share, amounts in currency."""

    candidate_id: str
    ts: datetime
    underlying: str
    currency: str
    strategy: StrategyType
    legs: tuple[OrderLeg, ...]
    expiry: date  # the nearest expiry among the legs
    dte: int
    multiplier: int  # shares per contract: 100 in the US, the lot size in India
    net_debit: Decimal  # per share, buy at ask and sell at bid: + paid, - received
    net_debit_mid: Decimal
    max_profit: Decimal | None  # None: unlimited
    max_loss: Decimal | None  # None: unlimited
    breakevens: tuple[Decimal, ...]
    pop: float
    expected_value: Decimal
    delta: float  # share-equivalents
    gamma: float
    vega: float  # currency per vol point
    theta: float  # currency per day
    margin: Decimal  # buying power reserved (see margin.py for the rule)
    spread_pct: float
    sigma: float  # the vol behind POP and EV
    reason: str
    score: float = 0.0
    confidence: float = 0.0
    conviction: Conviction = Conviction.LOW
    components: dict[str, float] = field(default_factory=dict)

    @property
    def bias(self) -> Bias:
        return PROFILES[self.strategy].bias

    @property
    def defined_risk(self) -> bool:
        return self.max_loss is not None

    @property
    def monthly_return(self) -> float:
        """Expected value per 30 days on the margin reserved (a model expectation, not a promise)."""
        m = float(self.margin)
        return float(self.expected_value) / m * 30.0 / max(self.dte, 1) if m > 0 else 0.0


def _money(x: float) -> Decimal | None:
    return None if not math.isfinite(x) else cents(Decimal(repr(float(x))))


def materialize(
    scan: ChainScan,
    mb: MeasuredBatch,
    i: int,
    score: float = 0.0,
    confidence: float = 0.0,
    conviction: Conviction = Conviction.LOW,
    components: dict[str, float] | None = None,
) -> StrategyCandidate:
    """Candidate `i` of a measured batch as a record (only the ones worth showing are made into records)."""
    prep = scan.prepared
    ch = prep.chain
    u = ch.underlying
    b, m = mb.batch, mb.metrics
    legs: list[OrderLeg] = []
    keys: list[str] = []
    for row, q in zip(b.rows[i], b.qty[i], strict=True):
        side = Side.BUY if q > 0 else Side.SELL
        if row == STOCK_ROW:
            legs.append(OrderLeg(Stock(u.symbol, u.market), side, ratio=int(abs(q)) * u.option_multiplier))
            keys.append(f"{side.value}{u.symbol}")
            continue
        contract = ch.contract(int(row))
        legs.append(OrderLeg(contract, side, ratio=int(abs(q))))
        keys.append(f"{side.value}{int(abs(q))}{contract.key}")
    expiries = [leg.instrument.expiry for leg in legs if not isinstance(leg.instrument, Stock)]
    expiry = min(expiries)
    dte = (expiry - ch.ts.date()).days
    cid = hashlib.sha1(f"{ch.ts.isoformat()}|{'|'.join(keys)}".encode()).hexdigest()[:12]
    tick = u.option_tick
    debit = float(m.debit_natural[i])
    mp, ml = float(m.max_profit[i]), float(m.max_loss[i])
    bes = tuple(to_tick(float(x), u.tick) for x in m.breakevens[i] if np.isfinite(x))
    kind = "debit" if debit >= 0 else "credit"
    why = (
        f"{b.strategy.value} {u.symbol} {expiry} ({dte} DTE): {kind} {abs(debit):.2f}/share, "
        f"max profit {'unlimited' if not math.isfinite(mp) else f'{mp:,.0f}'}, "
        f"max loss {'unlimited' if not math.isfinite(ml) else f'{ml:,.0f}'}, POP {m.pop[i]:.0%}, "
        f"EV {m.expected_value[i]:+,.0f}, margin {mb.margin[i]:,.0f} {u.currency}"
    )
    if b.fallback[i]:
        why += f"; {b.note}"
    return StrategyCandidate(
        candidate_id=f"{u.symbol}-{b.strategy.value}-{cid}",
        ts=ch.ts,
        underlying=u.symbol,
        currency=u.currency,
        strategy=b.strategy,
        legs=tuple(legs),
        expiry=expiry,
        dte=dte,
        multiplier=u.option_multiplier,
        net_debit=to_tick(debit, tick),
        net_debit_mid=to_tick(float(m.debit_mid[i]), tick),
        max_profit=_money(mp),
        max_loss=_money(ml),
        breakevens=bes,
        pop=float(m.pop[i]),
        expected_value=_money(float(m.expected_value[i])) or Decimal(0),
        delta=float(m.delta[i]),
        gamma=float(m.gamma[i]),
        vega=float(m.vega[i]),
        theta=float(m.theta[i]),
        margin=_money(float(mb.margin[i])) or Decimal(0),
        spread_pct=float(m.spread_pct[i]),
        sigma=float(m.sigma[i]),
        reason=why,
        score=score,
        confidence=confidence,
        conviction=conviction,
        components=dict(components or {}),
    )
