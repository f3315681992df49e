"""The operator's controls in the database (`ports.controls`): account states, commands, run health.

Every write is its own short transaction, so the command line and a running run (two processes) see each
other's writes at once. A command is taken by a conditional update (pending → working), so a command is
carried out once even if two pollers race for it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.core.errors import PersistenceError
from optionpilot.decisions.breaker import TradingState
from optionpilot.persistence import tables as t
from optionpilot.ports.controls import ChangedBy, CommandStatus, OperatorCommand, StoredState, Verb

_OPEN = (CommandStatus.PENDING.value, CommandStatus.WORKING.value)


class SqlControlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- trading state ---------------------------------------------------------------------------------

    def states(self, accounts: Collection[str] | None = None) -> dict[str, StoredState]:
        c = t.account_states.c
        query = sa.select(t.account_states)
        if accounts is not None:
            query = query.where(c.account.in_(list(accounts)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        out: dict[str, StoredState] = {}
        for r in rows:
            try:
                state = TradingState(r["state"])
                by = ChangedBy(r["changed_by"])
            except ValueError:
                raise PersistenceError(
                    f"account_states: account {r['account']!r} has an unknown state {r['state']!r} "
                    f"or author {r['changed_by']!r}"
                ) from None
            out[r["account"]] = StoredState(r["account"], state, r["reason"], by, r["changed_at"])
        return out

    def set_state(self, state: StoredState, run_id: str | None = None) -> None:
        c = t.account_states.c
        values = {
            "state": state.state.value,
            "reason": state.reason,
            "changed_by": state.changed_by.value,
            "changed_at": state.changed_at,
            "run_id": run_id,
        }
        with self.engine.begin() as conn:
            done = conn.execute(
                t.account_states.update().where(c.account == state.account).values(**values)
            ).rowcount
            if not done:
                conn.execute(t.account_states.insert().values(account=state.account, **values))

    # -- commands ------------------------------------------------------------------------------------------

    def request(self, command: OperatorCommand) -> int:
        """Store a command for a run; its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                t.operator_commands.insert().values(
                    run_id=command.run_id,
                    account=command.account,
                    verb=command.verb.value,
                    position_id=command.position_id,
                    quantity=command.quantity,
                    reason=command.reason,
                    requested_at=command.requested_at,
                    status=CommandStatus.PENDING.value,
                )
            )
        key = result.inserted_primary_key
        if key is None:
            raise PersistenceError("operator_commands: the database returned no id for the new command")
        return int(key[0])

    def pending(self, run_id: str) -> list[OperatorCommand]:
        c = t.operator_commands.c
        with self.engine.begin() as conn:
            rows = (
                conn.execute(
                    sa.select(t.operator_commands)
                    .where(c.run_id == run_id, c.status == CommandStatus.PENDING.value)
                    .order_by(c.id)
                )
                .mappings()
                .all()
            )
            taken = []
            for r in rows:
                # Taken only if still pending: a second poller (or a retry) cannot carry it out twice.
                moved = conn.execute(
                    t.operator_commands.update()
                    .where(c.id == r["id"], c.status == CommandStatus.PENDING.value)
                    .values(status=CommandStatus.WORKING.value)
                ).rowcount
                if moved:
                    taken.append(_command(r))
        return taken

    def command(self, command_id: int) -> OperatorCommand | None:
        c = t.operator_commands.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.operator_commands).where(c.id == command_id)).mappings().first()
        return None if row is None else _command(row)

    def update(self, command_id: int, status: CommandStatus, result: str, at: datetime) -> None:
        c = t.operator_commands.c
        with self.engine.begin() as conn:
            conn.execute(
                t.operator_commands.update()
                .where(c.id == command_id)
                .values(status=status.value, result=result, updated_at=at)
            )

    def open_commands(self, run_id: str) -> int:
        c = t.operator_commands.c
        with self.engine.connect() as conn:
            n = conn.execute(
                sa.select(sa.func.count()).where(c.run_id == run_id, c.status.in_(_OPEN))
            ).scalar_one()
        return int(n)

    # -- health ----------------------------------------------------------------------------------------------

    def record_health(self, run_id: str, health: Mapping[str, object], at: datetime) -> None:
        c = t.run_health.c
        text = json.dumps(dict(health), default=str, sort_keys=True)
        with self.engine.begin() as conn:
            done = conn.execute(
                t.run_health.update().where(c.run_id == run_id).values(updated_at=at, health_json=text)
            ).rowcount
            if not done:
                conn.execute(t.run_health.insert().values(run_id=run_id, updated_at=at, health_json=text))

    def health(self, run_id: str) -> dict[str, object] | None:
        c = t.run_health.c
        with self.engine.connect() as conn:
            text = conn.execute(sa.select(c.health_json).where(c.run_id == run_id)).scalar_one_or_none()
        if text is None:
            return None
        try:
            found = json.loads(text)
        except ValueError:
            return {"error": f"run_health of {run_id} is not JSON"}
        return found if isinstance(found, dict) else {"error": f"run_health of {run_id} is not an object"}


def _command(r: sa.RowMapping) -> OperatorCommand:
    return OperatorCommand(
        id=int(r["id"]),
        run_id=str(r["run_id"]),
        account=str(r["account"]),
        verb=Verb(str(r["verb"])),
        reason=str(r["reason"]),
        requested_at=r["requested_at"],
        position_id=None if r["position_id"] is None else str(r["position_id"]),
        quantity=None if r["quantity"] is None else int(r["quantity"]),
        status=CommandStatus(str(r["status"])),
        result=None if r["result"] is None else str(r["result"]),
    )
