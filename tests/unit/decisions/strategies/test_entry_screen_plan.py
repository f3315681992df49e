"""The entry screen (one function for the plan and the desk) and the plan that holds its budgets."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

from optionpilot.decisions.strategies.allocation import AllocationConfig, allocate
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import StrategyType as T
from optionpilot.decisions.strategies.screens import EntryState, entry_unit_cost, screen_entry
from optionpilot.domain.orders import OrderLeg, Side

from .test_scoring_allocation import cand, template

__all__ = ["template"]  # the fixture, used by name


def state_for(c: StrategyCandidate, days_before_expiry: int, **kw: object) -> EntryState:
    day = c.expiry - timedelta(days=days_before_expiry)
    return EntryState(today=day, fill_day=kw.pop("fill_day", day), **kw)  # type: ignore[arg-type]


def flipped(c: StrategyCandidate) -> StrategyCandidate:
    legs = tuple(
        OrderLeg(leg.instrument, Side.SELL if leg.side is Side.BUY else Side.BUY, leg.ratio) for leg in c.legs
    )
    return dataclasses.replace(c, candidate_id=c.candidate_id + "-flip", strategy=T.LONG_STRADDLE, legs=legs)


def test_each_rule_of_the_screen(template: StrategyCandidate) -> None:
    c = cand(template, 1, kind=T.IRON_CONDOR)  # collects premium: the 21-DTE time exit
    price = Decimal("-1.00")
    assert screen_entry(c, 2, state_for(c, 40), price).value == price
    assert screen_entry(c, 0, state_for(c, 40), price).rule == "multileg.entry.lots"
    assert screen_entry(c, 1, state_for(c, -1), price).rule == "multileg.entry.expired"
    assert screen_entry(c, 1, state_for(c, 21), price).rule == "multileg.entry.time_exit"
    # Sent after the close it fills the next session: 22 DTE today is 21 then, inside the exit.
    s = state_for(c, 22)
    assert screen_entry(c, 1, s, price).ok
    late = dataclasses.replace(s, fill_day=s.today + timedelta(days=1))
    d = screen_entry(c, 1, late, price)
    assert d.rule == "multileg.entry.time_exit" and "21-DTE" in d.reason
    assert screen_entry(c, 1, state_for(c, 40), None, "stale").reason.endswith("stale")
    taken = state_for(c, 40).with_entry(c, 3, "pos-1")
    assert screen_entry(c, 1, taken, price).rule == "multileg.entry.once_a_day"
    assert screen_entry(c, 1, dataclasses.replace(taken, force=True), price).ok
    assert screen_entry(flipped(c), 1, taken, price).rule == "multileg.entry.netting"


def test_unit_cost_follows_the_price_the_entry_is_sent_at(template: StrategyCandidate) -> None:
    c = dataclasses.replace(cand(template, 1, margin="400"), net_debit=Decimal("-1.00"), multiplier=100)
    assert entry_unit_cost(c, Decimal("-1.00")) == Decimal(400)
    assert entry_unit_cost(c, Decimal("-0.90")) == Decimal(410)  # 0.10 less credit: 10 more at risk
    assert entry_unit_cost(c, None) == Decimal(400)


def test_the_plan_holds_only_what_the_screen_lets_through(template: StrategyCandidate) -> None:
    good = cand(template, 1, symbol="A", score=0.9)
    near = dataclasses.replace(
        cand(template, 2, symbol="B", score=0.8), expiry=good.expiry - timedelta(days=30)
    )
    unquoted = cand(template, 3, symbol="C", score=0.7)
    second = cand(template, 4, symbol="C", kind=T.IRON_BUTTERFLY, score=0.6)
    clash = dataclasses.replace(flipped(cand(template, 5, symbol="A", score=0.5)), underlying="D")
    entry = state_for(good, 40)
    prices = {unquoted.candidate_id: (None, "a leg has no two-sided quote now")}
    plan = allocate([good, near, unquoted, second, clash], Decimal(100_000), entry=entry, prices=prices)
    rules = {s.candidate_id: s.rule for s in plan.skipped}
    assert rules[near.candidate_id] == "multileg.entry.time_exit"
    assert rules[unquoted.candidate_id] == "multileg.entry.quote"
    # The best enterable strategy of C is planned in place of the unquoted one.
    planned = {p.candidate.candidate_id for p in plan.positions}
    assert planned == {good.candidate_id, second.candidate_id}
    # The same contracts on the other side of what the plan already holds: refused for netting.
    assert rules[clash.candidate_id] == "multileg.entry.netting"
    # Without the account's state nothing is screened (the pure allocator of old).
    assert {p.candidate.candidate_id for p in allocate([good, near], Decimal(100_000)).positions} == {
        good.candidate_id,
        near.candidate_id,
    }


def test_one_position_per_symbol_is_its_best_strategy(template: StrategyCandidate) -> None:
    cs = [
        cand(template, i, symbol="A", kind=k, score=0.9 - i / 10)
        for i, k in enumerate((T.IRON_CONDOR, T.IRON_BUTTERFLY))
    ]
    plan = allocate(cs, Decimal(100_000))
    assert [p.candidate.candidate_id for p in plan.positions] == ["c0"]
    assert {s.candidate_id: s.rule for s in plan.skipped} == {"c1": "allocation.per_underlying"}
    both = allocate(cs, Decimal(100_000), AllocationConfig(one_per_symbol=False))
    assert len(both.positions) == 2


def test_the_fill_keeps_every_tier_and_industry_within_its_budget(template: StrategyCandidate) -> None:
    # Two HIGH candidates cannot fill tier 1's 60% within the 8% cap a position; the old fill poured the
    # rest into tiers 2 and 3 (76/24 measured). Now they stay within 30% and 10%, and the plan says why.
    convs = [Conviction.HIGH] * 2 + [Conviction.MEDIUM] * 10 + [Conviction.LOW] * 10
    cs = [cand(template, i, symbol=f"S{i}", conviction=c, margin="100") for i, c in enumerate(convs)]
    cfg = AllocationConfig(kelly_fraction=0.05)
    plan = allocate(cs, Decimal(100_000), cfg)
    for tier, used in plan.tier_capital.items():
        assert used <= plan.tier_budget[tier]
    assert plan.tier_capital[2] > plan.tier_budget[2] - 100  # filled to its budget, not beyond
    assert plan.tier_capital[3] > plan.tier_budget[3] - 100
    assert plan.deployed_pct < 0.95 and "below the 95% target" in plan.reason
    assert "tier 1" in plan.reason
    # Industries too: a 10% industry is not filled past its budget by the fill.
    from optionpilot.decisions.strategies.allocation_config import IndustryWeight

    small = AllocationConfig(
        symbol_industry={f"S{i}": "Small" for i in range(5)},
        industries={"Small": IndustryWeight(weight=0.1), "Unclassified": IndustryWeight(weight=0.9)},
    )
    high = [cand(template, i, symbol=f"S{i}", margin="100") for i in range(25)]
    plan = allocate(high, Decimal(100_000), small)
    assert plan.industry_capital["Small"] <= plan.industry_budget["Small"]
