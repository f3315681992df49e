"""Capital across ranked strategies (seed 004's hybrid allocator), as one pure function.

1. Allocatable = capital x (1 - cash reserve).
2. Each candidate is checked, with a reason when it is left out: margin, Kelly edge (EV > 0), the position
   type of its industry (a LONG industry takes bullish and neutral strategies, a SHORT one bearish and
   neutral), the entry screen (`screens.screen_entry`, given the account's state: what `execute` would
   refuse is never planned), and the symbol's limit: its best-ranked strategy that can be entered
   (`one_per_symbol`, seed 004), or the best `max_per_underlying`.
3. Priority = score x the VIX regime's preference for the strategy's volatility view x a boost when its
   expected monthly return on margin reaches the target.
4. Sizing: each position aims at fractional Kelly x allocatable, within its tier's budget (60/30/10 by
   conviction: VERY_HIGH and HIGH, MEDIUM, LOW; a tier with no candidates passes its share on), its
   industry's budget (the weights of the industries present, renormalized), and the caps per position and
   per underlying. Whole lots only. One unit costs the margin at the price the entry will be sent at (the
   natural price on the quotes `execute` sees), so the plan's capital is what the entries tie up.
5. Fill: candidates Kelly left at no lot join as new positions while the plan holds fewer than
   `min_positions`; then lots are added one at a time, best first, and new positions after that, until
   `deploy_target` of allocatable is deployed or nothing more fits. The fill never takes a tier or an
   industry over its budget: when the budgets cannot be filled the plan deploys less and says which.

The expected monthly return is the model's expectation from each candidate's EV; it is reported, never
promised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from optionpilot.core.errors import ConfigError
from optionpilot.core.money import ZERO, cents
from optionpilot.decisions.strategies.allocation_budgets import Budgets, Pick, budget_notes
from optionpilot.decisions.strategies.allocation_config import (
    AllocationConfig,
    IndustryWeight,
    PositionType,
)
from optionpilot.decisions.strategies.analysis import VixRegime
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import PROFILES, Bias
from optionpilot.decisions.strategies.screens import NO_QUOTE, EntryState, entry_unit_cost, screen_entry

__all__ = [
    "AllocationConfig",
    "AllocationPlan",
    "IndustryWeight",
    "PlannedPosition",
    "PositionType",
    "SkippedCandidate",
    "allocate",
    "kelly_of",
    "tier_of",
]


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
    unit_capital: Decimal  # one unit entered at the price the entry will be sent at

    @property
    def capital(self) -> Decimal:
        return self.unit_capital * self.lots

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
    tier_budget: dict[int, Decimal] = field(default_factory=dict)
    industry_budget: dict[str, Decimal] = field(default_factory=dict)
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


def allocate(
    candidates: Sequence[StrategyCandidate],
    capital: Decimal,
    config: AllocationConfig | None = None,
    *,
    vix_regime: VixRegime = VixRegime.NORMAL,
    entry: EntryState | None = None,
    prices: Mapping[str, tuple[Decimal | None, str]] | None = None,
) -> AllocationPlan:
    """The plan. With `entry` (the account's state as the desk sees it) every candidate passes the desk's
    entry screen first; `prices` gives each candidate's natural price on the quotes the entry will see
    (and why not, when a leg is unquoted); without it the candidate's own natural price is taken."""
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

    eligible: list[Pick] = []
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
        eligible.append(Pick(c.score * pref * boost, c, k, industry, ptype, tier_of(c.conviction), c.margin))
    eligible.sort(key=lambda e: (-e.priority, e.candidate.candidate_id))

    limit = 1 if cfg.one_per_symbol else cfg.max_per_underlying
    per_symbol: dict[str, int] = {}
    chosen: list[Pick] = []
    state = entry
    for e in eligible:
        c = e.candidate
        if per_symbol.get(c.underlying, 0) >= limit:
            why = (
                "one position per symbol: its best-ranked strategy is planned (allocation.one_per_symbol)"
                if cfg.one_per_symbol
                else f"only the best {limit} per symbol are used"
            )
            skip(c, "allocation.per_underlying", why)
            continue
        if state is not None:
            natural, problem = (prices or {}).get(c.candidate_id, (c.net_debit, NO_QUOTE))
            d = screen_entry(c, 1, state, natural, problem)
            if d.value is None:
                skip(c, d.rule, d.reason)
                continue
            e.unit = entry_unit_cost(c, d.value)
            # Later candidates are screened against this one, as the desk's later entries would be.
            state = state.with_entry(c, 1, f"planned as {c.candidate_id}")
        per_symbol[c.underlying] = per_symbol.get(c.underlying, 0) + 1
        chosen.append(e)

    budgets = Budgets.of(chosen, alloc, cfg)
    positions: list[PlannedPosition] = []
    deferred: list[Pick] = []

    def add(e: Pick, lots: int, why: str) -> None:
        c = e.candidate
        head = f"tier {e.tier} ({c.conviction.value}), {e.industry} {e.position_type.value}"
        positions.append(
            PlannedPosition(
                c, lots, e.tier, e.industry, e.position_type, e.kelly, e.priority, f"{head}: {why}", e.unit
            )
        )
        budgets.take(e, e.unit * lots)

    for e in chosen:
        c = e.candidate
        if len(positions) >= cfg.max_positions:
            skip(c, "allocation.max_positions", f"the plan already holds {cfg.max_positions} positions")
            continue
        hard = budgets.why_not(e, ZERO, hard_only=True)
        if hard is not None:
            skip(c, *hard)
            continue
        want = alloc * Decimal(repr(cfg.kelly_fraction * e.kelly))
        budget = min(want, budgets.room(e, ZERO))
        lots = int((budget / e.unit).to_integral_value(rounding=ROUND_FLOOR)) if budget > 0 else 0
        if lots == 0:
            deferred.append(e)  # Kelly wants less than a unit, or its budget is used: the fill may add it
            continue
        add(e, lots, f"Kelly {e.kelly:.3f} x {cfg.kelly_fraction} -> {lots} x {e.unit:,.0f}")

    target = alloc * Decimal(repr(cfg.deploy_target))

    def join(fill_reason: str) -> bool:
        """The next deferred candidate as a new one-lot position when it fits; False when none did."""
        while deferred and len(positions) < cfg.max_positions:
            e = deferred.pop(0)
            blocked = budgets.why_not(e, ZERO)
            if blocked is None:
                add(e, 1, fill_reason)
                return True
            skip(e.candidate, *blocked)
        return False

    while budgets.deployed < target:
        # Spread first: below `min_positions`, a new position comes before another lot of an old one.
        added = len(positions) < cfg.min_positions and join(
            "added by the fill to reach the minimum positions"
        )
        for p in positions:
            if budgets.deployed >= target:
                break
            e = budgets.pick_of(p.candidate.candidate_id)
            if budgets.why_not(e, p.capital) is None:
                p.lots += 1
                budgets.take(e, e.unit)
                added = True
        if not added and not join("added by the fill once the others reached their budgets or caps"):
            break
    for e in deferred:
        skip(e.candidate, *(budgets.why_not(e, ZERO) or ("allocation.target", "the plan reached its target")))
    for p in positions:
        p.reason += f"; {p.lots} lots after the fill to {cfg.deploy_target:.0%}"

    deployed = budgets.deployed
    ev_month = sum((float(p.expected_value) * 30.0 / max(p.candidate.dte, 1) for p in positions), 0.0)
    exp_ret = ev_month / float(capital)
    pct = float(deployed / alloc) if alloc > 0 else 0.0
    notes = [
        f"deployed {deployed:,.0f} of {alloc:,.0f} allocatable ({pct:.1%}) in {len(positions)} positions"
    ]
    if budgets.concentrated:
        notes.append(
            f"too little capital to diversify (no unit fits {cfg.max_position_pct:.0%} of {alloc:,.0f}): "
            f"at most {cfg.small_capital_positions} positions of up to "
            f"{alloc / cfg.small_capital_positions:,.0f} each; tier and industry budgets not applied"
        )
    if pct < cfg.deploy_target:
        notes.append(f"below the {cfg.deploy_target:.0%} target: {budget_notes(budgets, cfg)}")
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
        tier_capital={t: v for t, v in budgets.used_tier.items() if v > 0},
        industry_capital={i: v for i, v in budgets.used_ind.items() if v > 0},
        tier_budget=dict(budgets.tier),
        industry_budget=dict(budgets.ind),
        reason="; ".join(notes),
    )
