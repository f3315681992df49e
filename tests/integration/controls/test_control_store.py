"""The control store on SQLite and PostgreSQL: states kept per account, a command taken once, health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from optionpilot.decisions.breaker import TradingState
from optionpilot.persistence.controls import SqlControlStore
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.migrate import upgrade_engine
from optionpilot.ports.controls import ChangedBy, CommandStatus, OperatorCommand, StoredState, Verb

T0 = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> SqlControlStore:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'controls.sqlite'}"
    else:
        url = request.getfixturevalue("pg_schema_url")
    engine = create_engine(url)
    upgrade_engine(engine)
    return SqlControlStore(engine)


def test_a_state_is_replaced_per_account_and_read_back(store: SqlControlStore) -> None:
    assert store.states(["large"]) == {}
    store.set_state(
        StoredState("large", TradingState.REDUCING, "risk.daily_loss: 3.1%", ChangedBy.RULE, T0), "run-1"
    )
    later = T0 + timedelta(minutes=5)
    store.set_state(
        StoredState("large", TradingState.HALTED, "operator.kill: test", ChangedBy.OPERATOR, later)
    )
    store.set_state(StoredState("tiny", TradingState.ACTIVE, "", ChangedBy.RULE, T0), "run-1")
    found = store.states(["large", "tiny", "other"])
    assert set(found) == {"large", "tiny"}
    assert found["large"] == StoredState(
        "large", TradingState.HALTED, "operator.kill: test", ChangedBy.OPERATOR, later
    )
    assert set(store.states()) == {"large", "tiny"}


def test_a_command_is_taken_once_and_its_outcome_kept(store: SqlControlStore) -> None:
    first = store.request(OperatorCommand(0, "run-1", "large", Verb.KILL, "operator.kill: x", T0))
    second = store.request(
        OperatorCommand(0, "run-1", "large", Verb.CLOSE, "operator.close: y", T0, "p-1", 2)
    )
    store.request(OperatorCommand(0, "run-2", "large", Verb.KILL, "operator.kill: x", T0))
    taken = store.pending("run-1")
    assert [c.id for c in taken] == [first, second]
    assert taken[1].position_id == "p-1" and taken[1].quantity == 2 and taken[1].verb is Verb.CLOSE
    assert store.pending("run-1") == []  # taken: a second poller gets nothing
    assert store.open_commands("run-1") == 2
    store.update(first, CommandStatus.DONE, "large halted", T0)
    got = store.command(first)
    assert got is not None and got.status is CommandStatus.DONE and got.result == "large halted"
    assert store.open_commands("run-1") == 1
    assert store.command(999_999) is None


def test_health_is_replaced_per_run(store: SqlControlStore) -> None:
    assert store.health("run-1") is None
    store.record_health("run-1", {"clock": T0.isoformat(), "bar_events": 10}, T0)
    store.record_health("run-1", {"clock": T0.isoformat(), "bar_events": 20}, T0)
    assert store.health("run-1") == {"clock": T0.isoformat(), "bar_events": 20}
