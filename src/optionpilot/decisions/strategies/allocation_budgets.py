"""The allocator's budgets: tiers, industries, the caps per position and per underlying, and what is used.

Every lot the plan takes, in the first sizing and in the fill alike, goes through `why_not`, so no tier and
no industry is taken over its budget (the fill used to ignore them and bent the 60/30/10 split).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from optionpilot.core.money import ZERO
from optionpilot.decisions.strategies.allocation_config import AllocationConfig, PositionType
from optionpilot.decisions.strategies.candidates import StrategyCandidate


@dataclass(slots=True)
class Pick:
    """A candidate the allocator may size: its priority, Kelly, industry, tier and the cost of one unit."""

    priority: float
    candidate: StrategyCandidate
    kelly: float
    industry: str
    position_type: PositionType
    tier: int
    unit: Decimal


def _share(total: Decimal, part: float) -> Decimal:
    return total * Decimal(repr(part))


@dataclass(slots=True)
class Budgets:
    alloc: Decimal
    position_cap: Decimal
    underlying_cap: Decimal
    tier: dict[int, Decimal]
    ind: dict[str, Decimal]
    picks: dict[str, Pick]
    used_tier: dict[int, Decimal] = field(default_factory=dict)
    used_ind: dict[str, Decimal] = field(default_factory=dict)
    used_und: dict[str, Decimal] = field(default_factory=dict)
    deployed: Decimal = ZERO
    concentrated: bool = False  # too little capital to diversify: see `of`

    @staticmethod
    def of(chosen: Sequence[Pick], alloc: Decimal, cfg: AllocationConfig) -> Budgets:
        """Tiers by conviction, industries by weight among those present; unused shares pass on."""
        tiers = sorted({e.tier for e in chosen})
        t_share = {t: cfg.tier_shares[t - 1] for t in (1, 2, 3) if t in tiers}
        t_total = sum(t_share.values()) or 1.0
        # Sorted: a float sum in set order differs in its last bit from run to run (string hashing is
        # salted per process), enough to flip a lot at a budget's edge and change the whole plan.
        inds = sorted({e.industry for e in chosen})
        i_total = sum(cfg.industries[i].weight for i in inds) or 1.0
        position_cap = _share(alloc, cfg.max_position_pct)
        if chosen and min(e.unit for e in chosen) > position_cap:
            # Not one unit fits the cap per position: the capital is too small to diversify (a $1,000
            # account's sleeve). Rather than plan nothing, it takes its best few; tier and industry
            # budgets cannot hold with so few positions, so they do not apply (the plan says so).
            share = alloc / cfg.small_capital_positions
            return Budgets(
                alloc=alloc,
                position_cap=share,
                underlying_cap=share,
                tier=dict.fromkeys(t_share, alloc),
                ind=dict.fromkeys(inds, alloc),
                picks={e.candidate.candidate_id: e for e in chosen},
                used_tier=dict.fromkeys(t_share, ZERO),
                used_ind=dict.fromkeys(inds, ZERO),
                concentrated=True,
            )
        return Budgets(
            alloc=alloc,
            position_cap=position_cap,
            underlying_cap=_share(alloc, cfg.max_underlying_pct),
            tier={t: _share(alloc, s / t_total) for t, s in t_share.items()},
            ind={i: _share(alloc, cfg.industries[i].weight / i_total) for i in inds},
            picks={e.candidate.candidate_id: e for e in chosen},
            used_tier=dict.fromkeys(t_share, ZERO),
            used_ind=dict.fromkeys(inds, ZERO),
        )

    def pick_of(self, candidate_id: str) -> Pick:
        return self.picks[candidate_id]

    def take(self, e: Pick, cost: Decimal) -> None:
        self.deployed += cost
        self.used_tier[e.tier] += cost
        self.used_ind[e.industry] += cost
        u = e.candidate.underlying
        self.used_und[u] = self.used_und.get(u, ZERO) + cost

    def _limits(self, e: Pick, current: Decimal) -> list[tuple[Decimal, str, str]]:
        u = e.candidate.underlying
        return [
            (self.position_cap - current, "allocation.caps", "the cap per position"),
            (self.underlying_cap - self.used_und.get(u, ZERO), "allocation.caps", f"the cap on {u}"),
            (self.alloc - self.deployed, "allocation.caps", "the allocatable capital"),
            (self.tier[e.tier] - self.used_tier[e.tier], "allocation.tier_budget", f"tier {e.tier}'s budget"),
            (
                self.ind[e.industry] - self.used_ind[e.industry],
                "allocation.industry_budget",
                f"the {e.industry} budget",
            ),
        ]

    def room(self, e: Pick, current: Decimal) -> Decimal:
        """Capital one more lot of `e` may take, its position holding `current` already."""
        return min(left for left, _, _ in self._limits(e, current))

    def why_not(self, e: Pick, current: Decimal, *, hard_only: bool = False) -> tuple[str, str] | None:
        """(rule, reason) when one more unit of `e` does not fit, else None; `hard_only`: the caps only."""
        limits = self._limits(e, current)
        for left, rule, what in limits[:3] if hard_only else limits:
            if e.unit > left:
                return (
                    rule,
                    f"one unit needs {e.unit:,.0f}, more than the {max(left, ZERO):,.0f} {what} leaves",
                )
        return None


def budget_notes(b: Budgets, cfg: AllocationConfig) -> str:
    """Which budgets held the plan back: each tier's and industry's use of its budget."""
    tiers = ", ".join(f"tier {t} {b.used_tier[t]:,.0f} of {v:,.0f}" for t, v in sorted(b.tier.items()))
    inds = ", ".join(f"{i} {b.used_ind[i]:,.0f} of {v:,.0f}" for i, v in sorted(b.ind.items()))
    return (
        f"no further lot fits the tier budgets ({tiers}), the industry budgets ({inds}) or the caps "
        f"({cfg.max_position_pct:.0%} a position, {cfg.max_underlying_pct:.0%} an underlying)"
    )
