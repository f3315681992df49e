"""The account's trading state and the daily loss breaker (issue 17): a layer above every strategy.

ACTIVE trades; REDUCING only closes (no entry, from either flow); HALTED only closes too, and only an
operator brings it back. The daily breaker measures the loss since the session's open (realized and
unrealized: equity now against equity at the open): at `daily_max_loss_pct` the account goes REDUCING for
the rest of the session, at `daily_halt_loss_pct` HALTED. A new session lifts a REDUCING set by the
breaker; nothing lifts HALTED but the operator. Exits never pass through here: they are never blocked.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from optionpilot.core.money import cents
from optionpilot.domain.recommendations import Decision


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"  # close only
    HALTED = "halted"  # close only, until an operator resumes


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


def daily_loss_state(
    start_equity: Decimal,
    equity: Decimal,
    state: TradingState,
    *,
    max_loss_pct: Decimal,
    halt_loss_pct: Decimal,
) -> Decision[TradingState]:
    """The state the day's loss calls for; never milder than `state` (only a new day or a person lifts it)."""
    if start_equity <= 0:
        return Decision.yes(
            state, f"no equity at the open ({start_equity}) to measure a loss on", "risk.no_start"
        )
    loss = start_equity - equity
    pct = loss / start_equity
    said = f"loss today {cents(loss)} ({pct:.2%} of {cents(start_equity)} at the open)"
    wanted, rule = TradingState.ACTIVE, "risk.daily_loss_ok"
    if pct >= halt_loss_pct:
        wanted, rule = TradingState.HALTED, "risk.daily_loss_halt"
        said += f" reached the {halt_loss_pct:.1%} halt: trading halted until an operator resumes"
    elif pct >= max_loss_pct:
        wanted, rule = TradingState.REDUCING, "risk.daily_loss"
        said += f" reached the {max_loss_pct:.1%} daily limit: closing only for the rest of the session"
    if _SEVERITY[wanted] < _SEVERITY[state]:
        return Decision.yes(state, f"{said}; the account stays {state.value}", "risk.state_kept")
    return Decision.yes(wanted, said, rule, loss_pct=float(pct))


def entry_allowed(state: TradingState, why: str = "") -> Decision[TradingState]:
    """Entries only in ACTIVE; the refusal names the state and why it was set."""
    if state is TradingState.ACTIVE:
        return Decision.yes(state, "the account is active", "risk.state_active")
    tail = f" ({why})" if why else ""
    return Decision.no(f"the account is {state.value}: closing only{tail}", f"risk.state_{state.value}")


def account_loss_state(
    start_equity: Decimal, equity: Decimal, state: TradingState, *, max_loss_pct: Decimal
) -> Decision[TradingState]:
    """Seed 004's account-level maximum loss: at `max_loss_pct` of the account's starting equity the
    account is HALTED (only an operator resumes it); below, the state is left as it is."""
    if start_equity <= 0:
        return Decision.yes(
            state, f"no starting equity ({start_equity}) to measure a loss on", "risk.no_start"
        )
    loss = start_equity - equity
    pct = loss / start_equity
    said = f"loss since the start {cents(loss)} ({pct:.2%} of {cents(start_equity)})"
    if pct >= max_loss_pct:
        return Decision.yes(
            TradingState.HALTED,
            f"{said} reached the account's {max_loss_pct:.0%} maximum loss: halted until an operator resumes",
            "risk.account_loss",
            loss_pct=float(pct),
        )
    return Decision.yes(state, f"{said}, under the {max_loss_pct:.0%} maximum", "risk.account_loss_ok")
