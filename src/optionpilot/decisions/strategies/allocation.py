"""Capital across ranked strategies (seed 004's hybrid allocator), as one pure function.

1. Allocatable = capital x (1 - cash reserve).
2. Each candidate is checked, with a reason when it is left out: margin, Kelly edge (EV > 0), the position
   type of its
   industry (a LONG industry takes bullish and neutral strategies, a SHORT one bearish and neutral), and the
   best `max_per_underlying` per symbol.
3. Priority = score x the VIX regime's preference for the strategy's volatility view x a boost when its
   expected monthly return on margin reaches the target.
4. Sizing: each position aims at fractional Kelly x allocatable, within its tier's budget (60/30/10 by
   conviction: VERY_HIGH and HIGH, MEDIUM, LOW; a tier with no candidates passes its share on), its
   industry's budget (the weights of the industries present, renormalized), and the caps per position and
   per underlying. Whole lots only; one lot at least when it fits the caps.
5. Fill: candidates whose budgets ran out join as new positions while the plan holds fewer than
   `min_positions`; then lots are added one at a time, best first, within the caps, and new positions after
   that, until `deploy_target` of allocatable is deployed or nothing more fits; the plan says which.

The expected monthly return is the model's expectation from each candidate's EV; it is reported, never
promised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.core.errors import ConfigError
from optionpilot.core.money import ZERO, cents
from optionpilot.decisions.strategies.analysis import VixRegime
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import PROFILES, Bias, VolView


class PositionType(StrEnum):
    LONG = "LONG"
    SHORT = "SHORT"


class IndustryWeight(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: float = Field(gt=0)
    position_type: PositionType | None = None  # None: any direction


def _industries() -> dict[str, IndustryWeight]:
    L, S = PositionType.LONG, PositionType.SHORT
    return {
        "Index": IndustryWeight(weight=0.30, position_type=L),
        "Banking": IndustryWeight(weight=0.15, position_type=L),
        "Information Technology": IndustryWeight(weight=0.15, position_type=L),
        "Consumer": IndustryWeight(weight=0.10, position_type=L),
        "Energy": IndustryWeight(weight=0.10, position_type=S),
        "Unclassified": IndustryWeight(weight=0.20, position_type=None),
    }


def _symbols() -> dict[str, str]:
    idx = ("NIFTY", "BANKNIFTY", "FINNIFTY", "SPY", "QQQ", "IWM", "DIA")
    it = ("AAPL", "MSFT", "NVDA", "GOOGL", "META", "TCS", "INFY")
    return {
        **dict.fromkeys(idx, "Index"),
        **dict.fromkeys(it, "Information Technology"),
        "AMZN": "Consumer",
        "TSLA": "Consumer",
        "HDFCBANK": "Banking",
        "ICICIBANK": "Banking",
        "RELIANCE": "Energy",
    }


def _vix_preference() -> dict[VixRegime, dict[VolView, float]]:
    return {
        VixRegime.LOW: {VolView.LONG: 1.15, VolView.FLAT: 1.0, VolView.SHORT: 0.90},
        VixRegime.NORMAL: {VolView.LONG: 1.0, VolView.FLAT: 1.0, VolView.SHORT: 1.0},
        VixRegime.HIGH: {VolView.LONG: 0.90, VolView.FLAT: 1.0, VolView.SHORT: 1.15},
    }


class AllocationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier_shares: tuple[float, float, float] = (0.60, 0.30, 0.10)
    cash_reserve: float = Field(0.05, ge=0, lt=1)
    deploy_target: float = Field(0.95, gt=0, le=1, description="of allocatable capital")
    monthly_return_target: float = Field(0.04, ge=0)
    target_boost: float = Field(0.10, ge=0, description="priority boost when EV/month on margin >= target")
    min_positions: int = Field(20, ge=1)
    max_positions: int = Field(30, ge=1)
    max_position_pct: float = Field(0.08, gt=0, le=1, description="margin of one position / allocatable")
    max_underlying_pct: float = Field(0.20, gt=0, le=1)
    max_per_underlying: int = Field(3, ge=1, description="strategies per symbol")
    kelly_fraction: float = Field(0.25, gt=0, le=1)
    kelly_payoff_cap: float = Field(3.0, gt=0, description="payoff ratio used when profit is unbounded")
    industries: dict[str, IndustryWeight] = Field(default_factory=_industries)
    symbol_industry: dict[str, str] = Field(default_factory=_symbols)
    unclassified: str = "Unclassified"
    vix_preference: dict[VixRegime, dict[VolView, float]] = Field(default_factory=_vix_preference)

    @model_validator(mode="after")
    def _check(self) -> AllocationConfig:
        if abs(sum(self.tier_shares) - 1.0) > 1e-9 or min(self.tier_shares) < 0:
            raise ConfigError(f"allocation.tier_shares must be >= 0 and sum to 1, got {self.tier_shares}")
        if self.unclassified not in self.industries:
            raise ConfigError(f"allocation.industries has no entry for unclassified {self.unclassified!r}")
        unknown = sorted({i for i in self.symbol_industry.values() if i not in self.industries})
        if unknown:
            raise ConfigError(f"allocation.symbol_industry names industries with no weight: {unknown}")
        if self.min_positions > self.max_positions:
            raise ConfigError("allocation.min_positions is above max_positions")
        return self


@dataclass(slots=True)
class PlannedPosition:
    candidate: StrategyCandidate
    lots: int
    tier: int  # 1, 2, 3
    industry: str
    position_type: PositionType
    kelly: float  # full Kelly fraction from POP and the payoff ratio
    priority: float
    reason: str

    @property
    def capital(self) -> Decimal:
        return self.candidate.margin * self.lots

    @property
    def max_loss(self) -> Decimal | None:
        ml = self.candidate.max_loss
        return None if ml is None else ml * self.lots

    @property
    def expected_value(self) -> Decimal:
        return self.candidate.expected_value * self.lots


@dataclass(frozen=True, slots=True)
class SkippedCandidate:
    candidate_id: str
    underlying: str
    strategy: str
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    capital: Decimal
    allocatable: Decimal
    deployed: Decimal
    positions: tuple[PlannedPosition, ...]
    skipped: tuple[SkippedCandidate, ...]
    expected_monthly_return: float  # of capital, from EV; an expectation, not a promise
    monthly_return_target: float
    tier_capital: dict[int, Decimal] = field(default_factory=dict)
    industry_capital: dict[str, Decimal] = field(default_factory=dict)
    reason: str = ""

    @property
    def deployed_pct(self) -> float:
        return float(self.deployed / self.allocatable) if self.allocatable > 0 else 0.0


def kelly_of(c: StrategyCandidate, payoff_cap: float) -> float:
    """Kelly for a bet that risks `risk` to win b x risk: f = edge / b, the edge being EV / risk.

    Risk is the max loss (the margin when the loss is unbounded); b = max profit / risk, capped. With EV
    from the same lognormal as POP this is p - (1 - p) / b for a two-outcome payoff, and it is never
    positive for a candidate whose EV is not.
    """
    risk = c.max_loss if c.max_loss is not None else c.margin
    if risk <= 0:
        return 0.0
    b = payoff_cap if c.max_profit is None else min(float(c.max_profit / risk), payoff_cap)
    if b <= 0:
        return -1.0
    return float(c.expected_value / risk) / b


def tier_of(conviction: Conviction) -> int:
    return {Conviction.VERY_HIGH: 1, Conviction.HIGH: 1, Conviction.MEDIUM: 2}.get(conviction, 3)


def _position_type(c: StrategyCandidate, industry: IndustryWeight) -> PositionType | None:
    """The industry's type when the strategy fits it, the strategy's own when the industry has none."""
    bias = PROFILES[c.strategy].bias
    if industry.position_type is None:
        return PositionType.SHORT if bias is Bias.BEARISH else PositionType.LONG
    clash = (industry.position_type is PositionType.LONG and bias is Bias.BEARISH) or (
        industry.position_type is PositionType.SHORT and bias is Bias.BULLISH
    )
    return None if clash else industry.position_type


def _lots_within(budget: Decimal, margin: Decimal) -> int:
    return int((budget / margin).to_integral_value(rounding=ROUND_FLOOR)) if budget > 0 else 0


def allocate(
    candidates: Sequence[StrategyCandidate],
    capital: Decimal,
    config: AllocationConfig | None = None,
    *,
    vix_regime: VixRegime = VixRegime.NORMAL,
) -> AllocationPlan:
    cfg = config or AllocationConfig()
    if not capital > 0:
        raise ConfigError(f"allocate: capital must be positive, got {capital}")
    currencies = {c.currency for c in candidates}
    if len(currencies) > 1:
        raise ConfigError(
            f"allocate: candidates in several currencies {sorted(currencies)}; allocate each apart"
        )
    alloc = cents(capital * Decimal(repr(1.0 - cfg.cash_reserve)))
    skipped: list[SkippedCandidate] = []

    def skip(c: StrategyCandidate, rule: str, why: str) -> None:
        skipped.append(SkippedCandidate(c.candidate_id, c.underlying, c.strategy.value, rule, why))

    eligible: list[tuple[float, StrategyCandidate, float, str, PositionType]] = []
    for c in candidates:
        if not c.margin > 0:
            skip(c, "allocation.margin", "no margin requirement: cannot size it")
            continue
        k = kelly_of(c, cfg.kelly_payoff_cap)
        if not k > 0:
            skip(
                c,
                "allocation.kelly",
                f"no Kelly edge ({k:+.3f}: EV {c.expected_value:+,.0f} on the risk, POP {c.pop:.0%})",
            )
            continue
        industry = cfg.symbol_industry.get(c.underlying, cfg.unclassified)
        ptype = _position_type(c, cfg.industries[industry])
        if ptype is None:
            skip(
                c,
                "allocation.position_type",
                f"{industry} is {cfg.industries[industry].position_type}: "
                f"a {c.bias.value} strategy does not fit",
            )
            continue
        pref = cfg.vix_preference.get(vix_regime, {}).get(PROFILES[c.strategy].vol, 1.0)
        boost = 1.0 + cfg.target_boost if c.monthly_return >= cfg.monthly_return_target else 1.0
        eligible.append((c.score * pref * boost, c, k, industry, ptype))
    eligible.sort(key=lambda e: (-e[0], e[1].candidate_id))
    per_symbol: dict[str, int] = {}
    chosen: list[tuple[float, StrategyCandidate, float, str, PositionType]] = []
    for e in eligible:
        c = e[1]
        if per_symbol.get(c.underlying, 0) >= cfg.max_per_underlying:
            skip(
                c, "allocation.per_underlying", f"only the best {cfg.max_per_underlying} per symbol are used"
            )
            continue
        per_symbol[c.underlying] = per_symbol.get(c.underlying, 0) + 1
        chosen.append(e)

    # Budgets: tiers by conviction, industries by weight among those present; unused shares pass on.
    tiers_present = {tier_of(e[1].conviction) for e in chosen}
    t_share: dict[int, float] = {t: cfg.tier_shares[t - 1] for t in (1, 2, 3) if t in tiers_present}
    t_total = sum(t_share.values()) or 1.0
    tier_budget = {t: alloc * Decimal(repr(s / t_total)) for t, s in t_share.items()}
    inds = {e[3] for e in chosen}
    i_total = sum(cfg.industries[i].weight for i in inds) or 1.0
    ind_budget = {i: alloc * Decimal(repr(cfg.industries[i].weight / i_total)) for i in inds}
    pos_cap = alloc * Decimal(repr(cfg.max_position_pct))
    und_cap = alloc * Decimal(repr(cfg.max_underlying_pct))
    used_tier: dict[int, Decimal] = dict.fromkeys(tier_budget, ZERO)
    used_ind: dict[str, Decimal] = dict.fromkeys(ind_budget, ZERO)
    used_und: dict[str, Decimal] = {}
    deployed = ZERO
    positions: list[PlannedPosition] = []
    deferred: list[tuple[float, StrategyCandidate, float, str, PositionType]] = []

    def add(e: tuple[float, StrategyCandidate, float, str, PositionType], lots: int, why: str) -> None:
        nonlocal deployed
        prio, c, k, industry, ptype = e
        tier = tier_of(c.conviction)
        positions.append(PlannedPosition(c, lots, tier, industry, ptype, k, prio, why))
        cost = c.margin * lots
        deployed += cost
        used_tier[tier] += cost
        used_ind[industry] += cost
        used_und[c.underlying] = used_und.get(c.underlying, ZERO) + cost

    def hard_room(c: StrategyCandidate) -> Decimal:
        return min(pos_cap, und_cap - used_und.get(c.underlying, ZERO), alloc - deployed)

    for e in chosen:
        _prio, c, k, industry, ptype = e
        if len(positions) >= cfg.max_positions:
            skip(c, "allocation.max_positions", f"the plan already holds {cfg.max_positions} positions")
            continue
        tier = tier_of(c.conviction)
        room = hard_room(c)
        if c.margin > room:
            skip(
                c,
                "allocation.caps",
                f"one unit needs {c.margin:,.0f}, more than the {room:,.0f} the caps leave",
            )
            continue
        want = alloc * Decimal(repr(cfg.kelly_fraction * k))
        budget = min(
            want, room, tier_budget[tier] - used_tier[tier], ind_budget[industry] - used_ind[industry]
        )
        lots = _lots_within(budget, c.margin)
        if lots == 0:
            deferred.append(e)  # its tier's or industry's budget is used up: a candidate for the fill
            continue
        add(
            e,
            lots,
            f"tier {tier} ({c.conviction.value}), {industry} {ptype.value}: Kelly {k:.3f} x "
            f"{cfg.kelly_fraction} -> {lots} x {c.margin:,.0f}",
        )

    target = alloc * Decimal(repr(cfg.deploy_target))
    while deployed < target:
        added = False
        # Spread first: below `min_positions`, a new position comes before another lot of an old one.
        while deferred and len(positions) < cfg.min_positions and not added:
            e = deferred.pop(0)
            if e[1].margin <= hard_room(e[1]):
                add(
                    e,
                    1,
                    f"tier {tier_of(e[1].conviction)} ({e[1].conviction.value}), {e[3]} {e[4].value}: "
                    "added by the fill to reach the minimum number of positions",
                )
                added = True
            else:
                skip(e[1], "allocation.caps", f"one unit needs {e[1].margin:,.0f}, more than the caps leave")
        for p in positions:
            if deployed >= target:
                break
            c = p.candidate
            room = min(pos_cap - p.capital, und_cap - used_und[c.underlying], alloc - deployed)
            if c.margin <= room:
                p.lots += 1
                deployed += c.margin
                used_und[c.underlying] += c.margin
                added = True
        while not added and deferred and len(positions) < cfg.max_positions:
            e = deferred.pop(0)
            c = e[1]
            if c.margin <= hard_room(c):
                add(
                    e,
                    1,
                    f"tier {tier_of(c.conviction)} ({c.conviction.value}), {e[3]} {e[4].value}: "
                    "added by the fill once its budget was used",
                )
                added = True
            else:
                skip(c, "allocation.caps", f"one unit needs {c.margin:,.0f}, more than the caps leave")
        if not added:
            break
    for e in deferred:
        skip(e[1], "allocation.budget", "its tier or industry budget was used and the plan was deployed")
    for p in positions:
        p.reason += f"; {p.lots} lots after the fill to {cfg.deploy_target:.0%}"

    ev_month = sum((float(p.expected_value) * 30.0 / max(p.candidate.dte, 1) for p in positions), 0.0)
    exp_ret = ev_month / float(capital)
    tier_cap: dict[int, Decimal] = {}
    ind_cap: dict[str, Decimal] = {}
    for p in positions:
        tier_cap[p.tier] = tier_cap.get(p.tier, ZERO) + p.capital
        ind_cap[p.industry] = ind_cap.get(p.industry, ZERO) + p.capital
    pct = float(deployed / alloc) if alloc > 0 else 0.0
    notes = [
        f"deployed {deployed:,.0f} of {alloc:,.0f} allocatable ({pct:.1%}) in {len(positions)} positions"
    ]
    if pct < cfg.deploy_target:
        notes.append(f"below the {cfg.deploy_target:.0%} target: the caps or the candidates left no room")
    if len(positions) < cfg.min_positions:
        notes.append(f"fewer than {cfg.min_positions} positions: not enough eligible candidates")
    notes.append(
        f"expected {exp_ret:+.2%} a month against the {cfg.monthly_return_target:.0%} target "
        "(a model expectation from EV, not a promise)"
    )
    if not math.isfinite(exp_ret):
        exp_ret = 0.0
    return AllocationPlan(
        capital=capital,
        allocatable=alloc,
        deployed=cents(deployed),
        positions=tuple(positions),
        skipped=tuple(skipped),
        expected_monthly_return=exp_ret,
        monthly_return_target=cfg.monthly_return_target,
        tier_capital=tier_cap,
        industry_capital=ind_cap,
        reason="; ".join(notes),
    )
