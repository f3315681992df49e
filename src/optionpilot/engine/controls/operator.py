"""What a running run does for its operator, at the start of each tick (after the broker's events).

- The stored state of each account is read when the run starts: a restarted run keeps the state it finds.
  A state the operator stored since (from the command line or the dashboard) is adopted at the next poll.
  Every change a rule makes (the daily loss breaker) is stored as it happens.
- Commands meant for this run are taken once and carried out:
  - kill: HALTED, every working order cancelled, every position closed (`Flattener`); done when the account
    has no open order and no position;
  - resume: ACTIVE; the day's loss is measured from the resume on (else the breaker would trip again at
    once on the loss that made the operator stop), and a reconciliation halt is lifted: the operator has
    looked, which is what it waited for;
  - close: one position, or some of its units, by hand.
  Each command's outcome is written back for the command line to show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from optionpilot.core.ids import PositionId
from optionpilot.decisions.breaker import TradingState
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.controls.flatten import FlattenConfig, Flattener
from optionpilot.engine.controls.state import change_state
from optionpilot.engine.marks import Marker
from optionpilot.ports.controls import (
    ChangedBy,
    CommandStatus,
    ControlStore,
    OperatorCommand,
    StoredState,
    Verb,
)
from optionpilot.ports.market_data import MarketData

log = logging.getLogger(__name__)

HealthSource = Callable[[], Mapping[str, object]]


@dataclass(slots=True)
class _Working:
    command: OperatorCommand
    cancelled: int = 0
    positions: list[PositionId] = field(default_factory=list)


class OperatorControls:
    def __init__(
        self,
        run_id: str,
        accounts: Sequence[AccountRuntime],
        market: MarketData,
        marker: Marker,
        store: ControlStore,
        *,
        flatten: FlattenConfig | None = None,
        health: HealthSource | None = None,
        poll_due: Callable[[], bool] = lambda: True,
    ) -> None:
        self.run_id = run_id
        self.accounts = {a.name: a for a in accounts}
        self.marker = marker
        self.store = store
        self.health = health
        # Reading the store costs two queries: the run asks it every tick at a human pace, and no more
        # often than `poll_due` says when its clock runs fast.
        self.poll_due = poll_due
        self.flatteners = {a.name: Flattener(a, market, flatten) for a in accounts}
        self.working: list[_Working] = []
        self.done: list[OperatorCommand] = []
        self._adopted: dict[str, datetime] = {}
        self.started = False

    # -- state ----------------------------------------------------------------------------------------

    def load(self, now: datetime) -> None:
        """At start: each account takes the state stored for it (a restart keeps a halt)."""
        self.started = True
        for name, stored in self.store.states(list(self.accounts)).items():
            account = self.accounts[name]
            self._adopted[name] = stored.changed_at
            if stored.state is not account.state:
                change_state(account, stored.state, f"kept from before the restart: {stored.reason}", now)

    def persist(self, account: AccountRuntime, by: ChangedBy, now: datetime) -> None:
        """Store a state change (the listener `change_state` calls)."""
        stored = StoredState(account.name, account.state, account.state_reason, by, now)
        self.store.set_state(stored, None if by is ChangedBy.OPERATOR else self.run_id)
        self._adopted[account.name] = now

    def _adopt(self, now: datetime) -> None:
        for name, stored in self.store.states(list(self.accounts)).items():
            if stored.changed_by is not ChangedBy.OPERATOR or self._adopted.get(name) == stored.changed_at:
                continue
            self._adopted[name] = stored.changed_at
            account = self.accounts[name]
            if stored.state is TradingState.ACTIVE:
                self._resumed(account, stored.reason, now)
            else:
                change_state(account, stored.state, stored.reason, now, by=ChangedBy.OPERATOR)

    def _resumed(self, account: AccountRuntime, reason: str, now: datetime) -> None:
        positions = account.book.open_positions()
        account.day_start_equity = account.book.equity(self.marker.marks(positions))
        if account.orders.halted is not None:
            log.warning("account %s: reconciliation halt lifted by the operator: %s", account.name,
                        account.orders.halted)  # fmt: skip
            account.orders.halted = None
        change_state(account, TradingState.ACTIVE, reason, now, by=ChangedBy.OPERATOR)

    # -- the tick -------------------------------------------------------------------------------------

    def on_tick(self, now: datetime) -> None:
        """Carry on closing; when a poll is due, read the store first (new states and commands)."""
        poll = self.poll_due()
        if poll:
            self._adopt(now)
            for command in self.store.pending(self.run_id):
                self._start(command, now)
        for flattener in self.flatteners.values():
            flattener.step(now)
        self._finish(now)
        if poll and self.health is not None:
            self.store.record_health(self.run_id, self.health(), now)

    def _start(self, command: OperatorCommand, now: datetime) -> None:
        account = self.accounts.get(command.account)
        if account is None:
            self._end(command, CommandStatus.FAILED, f"this run has no account {command.account!r}", now)
            return
        work = _Working(command)
        flattener = self.flatteners[account.name]
        if command.verb is Verb.RESUME:
            self._resumed(account, command.reason, now)
            self._end(command, CommandStatus.DONE, f"{account.name} is active", now)
            return
        if command.verb is Verb.KILL:
            # Stored by the operator's verb already (with its own clock): not written again.
            change_state(account, TradingState.HALTED, command.reason, now, by=ChangedBy.OPERATOR)
            for order in account.orders.open_orders():
                if order.parent_id is None:
                    account.orders.cancel(order.client_order_id, f"operator.kill: {command.reason}")
                    work.cancelled += 1
            flattener.close_all(command.reason, "operator.kill")
            work.positions = list(flattener.jobs)
        else:
            pid = PositionId(command.position_id or "")
            ok = flattener.close(pid, command.quantity, command.reason, "operator.close")
            if ok.value is None:
                self._end(command, CommandStatus.FAILED, f"{command.position_id}: {ok.reason}", now)
                return
            work.positions = [pid]
        self.store.update(command.id, CommandStatus.WORKING, "orders out", now)
        self.working.append(work)

    def _finish(self, now: datetime) -> None:
        still: list[_Working] = []
        for work in self.working:
            command = work.command
            account = self.accounts[command.account]
            flattener = self.flatteners[account.name]
            if command.verb is Verb.KILL:
                open_orders = len(account.orders.open_orders())
                held = [p for p in account.book.open_positions() if not p.is_flat]
                if open_orders or held or flattener.busy:
                    still.append(work)
                    continue
                text = (
                    f"{account.name} halted: {work.cancelled} order(s) cancelled, "
                    f"{len(work.positions)} position(s) closed; 0 open orders, 0 positions"
                )
            else:
                job = flattener.finished(work.positions[0])
                if job is None:
                    still.append(work)
                    continue
                text = f"{command.position_id} closed ({job.attempts} order(s))"
            self._end(command, CommandStatus.DONE, text, now)
        self.working = still

    def _end(self, command: OperatorCommand, status: CommandStatus, result: str, now: datetime) -> None:
        self.store.update(command.id, status, result, now)
        self.done.append(command)
        log.warning("operator %s on %s: %s", command.verb.value, command.account, result)
