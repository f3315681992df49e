"""The entry screen: whether a strategy can be entered now, as one pure function for the plan and the desk.

`execute` (the desk) and `allocate` (the plan) ask the same question with the same account state, so a
plan holds only what the desk would send. A candidate is refused, with its rule, when:
- `lots`: it asks for no units;
- `expired`: its nearest leg expired before today;
- `time_exit`: its DTE on the session it can fill in (the next one when it is sent after the close) is
  inside the time exit (21 DTE for premium sellers, 7 for the rest, seed 004): it would close at once;
- `once_a_day`: the same strategy on the same symbol was entered today (unless forced);
- `quote`: a leg has no two-sided quote now (no natural price to send a limit at);
- `netting`: a leg is on the other side of what the account holds or is entering: the broker keeps one
  net quantity per instrument, so the two positions would net away there (closing one would be refused,
  expiry would settle nothing of it).
The state is what the account holds and is entering; the plan adds each position it takes (`with_entry`)
so that later candidates are screened against it, as the desk's later entries are against earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from optionpilot.decisions.netting import opposite_side
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.decisions.strategies.catalog import PROFILES
from optionpilot.domain.recommendations import Decision

NO_QUOTE = "a leg has no two-sided quote now"


@dataclass(frozen=True, slots=True)
class EntryState:
    """What an entry is screened against: the days, the account's legs and today's entries."""

    today: date
    fill_day: date  # the session an order sent now can fill in
    held: Mapping[str, int] = field(default_factory=dict)  # signed quantity per instrument key
    entered: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (symbol, strategy) -> by whom
    dte_exit_short_premium: int = 21
    dte_exit_other: int = 7
    force: bool = False  # enter again what was entered today

    def with_entry(self, candidate: StrategyCandidate, lots: int, by: str) -> EntryState:
        """This state once `candidate` is being entered: its legs held, its strategy entered today."""
        held = dict(self.held)
        for leg in candidate.legs:
            key = leg.instrument.key
            held[key] = held.get(key, 0) + leg.side.sign * leg.ratio * max(lots, 1)
        entered = {**self.entered, (candidate.underlying, candidate.strategy.value): by}
        return replace(self, held=held, entered=entered)


def dte_when_filled(candidate: StrategyCandidate, fill_day: date | None) -> int:
    """The DTE that counts for the time exit: the one the strategy has on the day it can fill."""
    return candidate.dte if fill_day is None else min(candidate.dte, (candidate.expiry - fill_day).days)


def time_exit_dte(candidate: StrategyCandidate, short_premium: int, other: int) -> int:
    return short_premium if PROFILES[candidate.strategy].collects_premium else other


def inside_time_exit(candidate: StrategyCandidate, state: EntryState) -> bool:
    limit = time_exit_dte(candidate, state.dte_exit_short_premium, state.dte_exit_other)
    return dte_when_filled(candidate, state.fill_day) <= limit


def nets_against(candidate: StrategyCandidate, held: Mapping[str, int]) -> str | None:
    """Why a leg of `candidate` would net against what is held or being entered, or None."""
    d = opposite_side(held, [(leg.instrument.key, leg.side.sign) for leg in candidate.legs])
    return None if d.ok else d.reason


def screen_entry(
    candidate: StrategyCandidate,
    lots: int,
    state: EntryState,
    natural: Decimal | None,
    quote_problem: str = NO_QUOTE,
) -> Decision[Decimal]:
    """The natural price (net per share of one unit) to enter at, or why the candidate cannot be entered.

    `natural` is the price of the legs on the quotes now (None when a leg lacks a two-sided quote;
    `quote_problem` then says why).
    """
    cid = candidate.candidate_id
    if lots <= 0:
        return Decision.no(f"{cid}: {lots} lots", "multileg.entry.lots")
    if candidate.expiry < state.today:
        return Decision.no(f"{cid}: its nearest leg expired on {candidate.expiry}", "multileg.entry.expired")
    if inside_time_exit(candidate, state):
        dte = dte_when_filled(candidate, state.fill_day)
        limit = time_exit_dte(candidate, state.dte_exit_short_premium, state.dte_exit_other)
        return Decision.no(
            f"{cid}: {dte} DTE on {state.fill_day} (when it can fill) is inside the {limit}-DTE time exit "
            "(it would close at once)",
            "multileg.entry.time_exit",
        )
    by = state.entered.get((candidate.underlying, candidate.strategy.value))
    if by is not None and not state.force:
        return Decision.no(
            f"{candidate.strategy.value} on {candidate.underlying} was already entered today ({by}); "
            "--force enters it again",
            "multileg.entry.once_a_day",
        )
    if natural is None:
        return Decision.no(f"{cid}: {quote_problem}", "multileg.entry.quote")
    clash = nets_against(candidate, state.held)
    if clash is not None:
        return Decision.no(f"{cid}: {clash}", "multileg.entry.netting")
    return Decision.yes(natural, f"{cid}: enterable at {natural} a share", "multileg.entry.screen")


def entry_unit_cost(candidate: StrategyCandidate, natural: Decimal | None) -> Decimal:
    """Capital one unit ties up when entered at `natural`: the margin, moved by what the price moved.

    The candidate's margin was measured at its own natural price; a dearer debit (or a smaller credit)
    ties up that much more per unit for debits and defined-risk credits alike.
    """
    if natural is None or natural == candidate.net_debit:
        return candidate.margin
    cost = candidate.margin + (natural - candidate.net_debit) * candidate.multiplier
    return cost if cost > 0 else candidate.margin
