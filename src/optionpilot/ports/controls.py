"""The operator's controls as the engine sees them: the stored trading state of each account, the
commands an operator leaves for a running run (kill, resume, close), and where the run reports its health.

The database implements it (`persistence.controls`); a run polls it between ticks, so an operator in another
process (the command line, the dashboard) reaches it within a poll.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from optionpilot.decisions.breaker import TradingState


class ChangedBy(StrEnum):
    RULE = "rule"
    OPERATOR = "operator"


class Verb(StrEnum):
    KILL = "kill"  # cancel every order, close every position, then HALTED
    RESUME = "resume"  # back to ACTIVE
    CLOSE = "close"  # close one position (all its legs), or `quantity` units of it


class CommandStatus(StrEnum):
    PENDING = "pending"  # written by the operator, not yet taken
    WORKING = "working"  # taken by the run, orders out
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StoredState:
    account: str
    state: TradingState
    reason: str
    changed_by: ChangedBy
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class OperatorCommand:
    id: int
    run_id: str
    account: str
    verb: Verb
    reason: str
    requested_at: datetime
    position_id: str | None = None
    quantity: int | None = None
    status: CommandStatus = CommandStatus.PENDING
    result: str | None = None


class ControlStore(Protocol):
    def states(self, accounts: Collection[str]) -> dict[str, StoredState]:
        """The stored state of each of `accounts` that has one."""
        ...

    def set_state(self, state: StoredState, run_id: str | None = None) -> None: ...

    def pending(self, run_id: str) -> list[OperatorCommand]:
        """Commands for `run_id` not yet taken, oldest first."""
        ...

    def update(self, command_id: int, status: CommandStatus, result: str, at: datetime) -> None: ...

    def record_health(self, run_id: str, health: Mapping[str, object], at: datetime) -> None: ...
