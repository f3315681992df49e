"""Changing an account's trading state: the one place it happens, for the breaker's rules and the operator.

Each change is stored as a trading_state incident (and so alerted), and, where the run keeps its state
across restarts, written to the control store too (`OperatorControls.persist`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from optionpilot.decisions.breaker import TradingState
from optionpilot.domain.incidents import IncidentKind
from optionpilot.engine.account import AccountRuntime
from optionpilot.ports.controls import ChangedBy

StateListener = Callable[[AccountRuntime, ChangedBy, datetime], None]


def change_state(
    account: AccountRuntime,
    state: TradingState,
    reason: str,
    now: datetime,
    *,
    by: ChangedBy = ChangedBy.RULE,
    listener: StateListener | None = None,
) -> bool:
    """Set the state; False (and nothing stored) when it is already `state` for the same reason."""
    before = account.state
    if before is state and account.state_reason == reason:
        return False
    account.state, account.state_reason = state, reason
    account.orders.record_incident(IncidentKind.TRADING_STATE, f"{before.value} -> {state.value}: {reason}")
    if listener is not None:
        listener(account, by, now)
    return True
