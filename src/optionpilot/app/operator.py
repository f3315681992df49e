"""The operator's verbs, for the command line and the dashboard alike: status, kill, resume, close.

The state is stored first (so every run, and every later run, refuses entries at once), then each running
run that holds the account is sent the command through the database and carries it out at its next poll;
the caller waits for the outcomes, up to `wait_s` real seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.data_health import data_check_summary
from optionpilot.app.standing_controls import flatten_standing
from optionpilot.core.calendars import Market
from optionpilot.core.clock import Clock, LiveClock
from optionpilot.core.errors import ConfigError
from optionpilot.core.money import cents
from optionpilot.decisions.breaker import TradingState
from optionpilot.persistence.account_status import RunRow, account_row, operated_runs, position_owner
from optionpilot.persistence.controls import SqlControlStore
from optionpilot.ports.controls import ChangedBy, CommandStatus, OperatorCommand, StoredState, Verb

_ENDED = (CommandStatus.DONE, CommandStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Outcome:
    account: str
    run_id: str
    verb: str
    status: str
    result: str


@dataclass(slots=True)
class AccountStatus:
    account: str
    state: str
    reason: str
    changed_by: str | None
    changed_at: str | None
    run_id: str | None = None
    run_status: str | None = None
    equity: str | None = None
    pnl_today: str | None = None
    loss_today_pct: float | None = None
    breaker: str | None = None
    open_positions: int = 0
    open_orders: int = 0
    errors_last_hour: int = 0
    refusals_last_hour: int = 0
    heartbeat_at: str | None = None
    health: dict[str, object] = field(default_factory=dict)
    data_check: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__slots__}


class Operator:
    def __init__(
        self,
        engine: Engine,
        config: OptionPilotConfig,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.config = config
        self.store = SqlControlStore(engine)
        self.clock = clock or LiveClock()
        self._sleep = sleep

    # -- reading -----------------------------------------------------------------------------------------

    def accounts(self) -> list[str]:
        """Every account the operator can name: configured, held by an operated run, or with a state."""
        names = [a.name for a in self.config.accounts]
        for run in operated_runs(self.engine, running_only=False):
            names += [name for _, name in run.accounts]
        names += list(self.store.states())
        return list(dict.fromkeys(names))

    def status(self, account: str | None = None, store: Path | None = None) -> list[AccountStatus]:
        """Every account (or one); with `store`, whether its stored market data passes `data check`."""
        names = self._named(account)
        data = data_check_summary(store, self.config.health) if store is not None else {}
        states = self.store.states(names)
        runs = operated_runs(self.engine, running_only=False)
        out = []
        for name in names:
            s = states.get(name)
            row = AccountStatus(
                name,
                (s.state if s else TradingState.ACTIVE).value,
                s.reason if s else "",
                s.changed_by.value if s else None,
                s.changed_at.isoformat() if s else None,
            )
            row.data_check = data
            run = _latest_holding(runs, name)
            if run is not None:
                self._fill(row, run, name)
            out.append(row)
        return out

    def _fill(self, row: AccountStatus, run: RunRow, name: str) -> None:
        account_id = next(aid for aid, n in run.accounts if n == name)
        data = account_row(self.engine, run.run_id, account_id)
        row.run_id, row.run_status = run.run_id, run.status
        row.heartbeat_at = run.heartbeat_at.isoformat() if run.heartbeat_at else None
        row.open_positions, row.open_orders = data.open_positions, data.open_orders
        row.errors_last_hour, row.refusals_last_hour = data.errors_last_hour, data.refusals_last_hour
        health = self.store.health(run.run_id) or {}
        row.health = {k: v for k, v in health.items() if k != "accounts"}
        mine = health.get("accounts")
        start = data.day_open_equity
        if isinstance(mine, dict) and isinstance(mine.get(name), dict):
            row.health["account"] = mine[name]
            stored = mine[name].get("day_start_equity")
            start = Decimal(stored) if stored else start
        if data.equity is None:
            return
        row.equity = str(cents(data.equity))
        if start is None or start <= 0:
            return
        pnl = data.equity - start
        row.pnl_today = str(cents(pnl))
        loss = float(-pnl / start)
        row.loss_today_pct = round(loss, 6)
        risk = self.config.strategy.risk
        reduce_at, halt_at = float(risk.daily_max_loss_pct), float(risk.daily_halt_loss_pct)
        row.breaker = (
            f"{max(loss, 0):.2%} lost today; reducing at {reduce_at:.1%} ({max(reduce_at - loss, 0):.2%} "
            f"away), halted at {halt_at:.1%} ({max(halt_at - loss, 0):.2%} away)"
        )

    def _named(self, account: str | None) -> list[str]:
        known = self.accounts()
        if account is None:
            return known
        if account not in known:
            raise ConfigError(f"--account {account!r}: no such account (have {', '.join(known) or 'none'})")
        return [account]

    # -- acting --------------------------------------------------------------------------------------------

    def kill(self, account: str | None, reason: str, wait_s: float) -> list[Outcome]:
        """HALTED now; every running run holding the account cancels and closes everything."""
        names = self._named(account)
        now = self.clock.now()
        text = f"operator.kill: {reason}"
        for name in names:
            self.store.set_state(StoredState(name, TradingState.HALTED, text, ChangedBy.OPERATOR, now))
        outcomes = self._send(Verb.KILL, names, text, wait_s)
        for run in operated_runs(self.engine, running_only=False):
            if run.mode != "standing":
                continue
            for account_id, name in run.accounts:
                if name in names and account_row(self.engine, run.run_id, account_id).open_positions:
                    outcomes.append(self._standing(run.run_id, name, Verb.KILL, text))
        return outcomes

    def _standing(
        self, run_id: str, name: str, verb: Verb, reason: str, position_id: str | None = None,
        quantity: int | None = None,
    ) -> Outcome:  # fmt: skip
        """Carried out here: no process runs a standing account between its verbs."""
        market = Market(run_id.split("-")[1].upper())
        rule = f"operator.{verb.value}"
        ok, text = flatten_standing(self.config, self.config.run.db, market, name, reason, rule=rule,
                                    position_id=position_id, quantity=quantity)  # fmt: skip
        return Outcome(name, run_id, verb.value, "done" if ok else "failed", text)

    def resume(self, account: str, reason: str, wait_s: float) -> list[Outcome]:
        names = self._named(account)
        text = f"operator.resume: {reason}"
        now = self.clock.now()
        self.store.set_state(StoredState(account, TradingState.ACTIVE, text, ChangedBy.OPERATOR, now))
        return self._send(Verb.RESUME, names, text, wait_s)

    def close(self, position_id: str, quantity: int | None, reason: str, wait_s: float) -> list[Outcome]:
        owner = position_owner(self.engine, position_id)
        if owner is None:
            raise ConfigError(f"position {position_id!r}: no such position")
        run_id, account_id, status = owner
        if status not in ("open", "closing"):
            raise ConfigError(f"position {position_id}: it is {status}")
        runs = {r.run_id: r for r in operated_runs(self.engine, running_only=False)}
        run = runs.get(run_id)
        text = f"operator.close: {reason}"
        if run is not None and run.mode == "standing":
            name = next((n for aid, n in run.accounts if aid == account_id), account_id)
            return [self._standing(run_id, name, Verb.CLOSE, text, position_id, quantity)]
        if run is None or run.status != "running":
            raise ConfigError(
                f"position {position_id} belongs to run {run_id}, which is not running: only a running run "
                "can close it (start it again, or for a standing account use `monitor`)"
            )
        name = next((n for aid, n in run.accounts if aid == account_id), account_id)
        command = OperatorCommand(0, run_id, name, Verb.CLOSE, text, self.clock.now(), position_id, quantity)
        return self._wait([self.store.request(command)], wait_s)

    def _send(self, verb: Verb, names: Sequence[str], reason: str, wait_s: float) -> list[Outcome]:
        ids = []
        now = self.clock.now()
        for run in operated_runs(self.engine, running_only=True):
            for _, name in run.accounts:
                if name in names:
                    ids.append(self.store.request(OperatorCommand(0, run.run_id, name, verb, reason, now)))
        return self._wait(ids, wait_s)

    def _wait(self, ids: list[int], wait_s: float) -> list[Outcome]:
        waited = 0.0
        step = 0.1
        while True:
            commands = [c for c in (self.store.command(i) for i in ids) if c is not None]
            if all(c.status in _ENDED for c in commands) or waited >= wait_s:
                return [
                    Outcome(c.account, c.run_id, c.verb.value, c.status.value, c.result or "no answer yet")
                    for c in commands
                ]
            self._sleep(step)
            waited += step


def _latest_holding(runs: Sequence[RunRow], name: str) -> RunRow | None:
    """The running run holding the account, else the newest that did."""
    holding = [r for r in runs if any(n == name for _, n in r.accounts)]
    running = [r for r in holding if r.status == "running"]
    found = running or holding
    return found[0] if found else None
