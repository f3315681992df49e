"""The standing simulated broker keeps its own state, apart from the engine's tables, and start-up
reconciliation compares the two: tampering with either side is found; a fill the broker made and the
engine never recorded (a crash between the two) is adopted once, to the cent."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from optionpilot.adapters.sim.standing import sim_broker_state
from optionpilot.app import multileg as ml
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.cli.main import app
from optionpilot.domain.fills import Fill
from optionpilot.persistence import strategy_store as store
from optionpilot.persistence import tables as t
from optionpilot.persistence.candidate_codec import candidate_from
from optionpilot.persistence.database import create_engine

SYMBOLS = ["--symbol", "SPY", "--symbol", "NVDA"]
RUN = "standing-us-large"


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args))
    return out.exit_code, out.output


def scan_and_allocate(db: str) -> None:
    for args in (("scan", *SYMBOLS), ("allocate", "50000")):
        code, text = run(*args, "--db", db, "--json")
        assert code == 0, text


def execute(db: str) -> dict[str, Any]:
    code, text = run("execute", "--db", db, "--json")
    assert code == 0, text
    out: dict[str, Any] = json.loads(text)
    assert out["reconciliation"] == ["large: book and broker agree"]
    return out


def open_standing(db: str) -> ml.Standing:
    cfg = load_model(OptionPilotConfig, None, overrides={"run": {"db": db}})
    return ml.open_standing(ml.open_market(cfg), db)


def edit_state(db: str, change: Callable[[dict[str, Any]], None]) -> None:
    engine = create_engine(db)
    c = sim_broker_state.c
    try:
        with engine.begin() as conn:
            key, text = conn.execute(sa.select(c.account_key, c.state_json)).one()
            state = json.loads(text)
            change(state)
            conn.execute(sa.update(sim_broker_state).values(state_json=json.dumps(state)))
    finally:
        engine.dispose()
    assert key == f"{RUN}/large"


def count(db: str, query: sa.Select[Any]) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def incidents(db: str) -> list[tuple[str, str]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return [(k, d) for k, d in conn.execute(sa.select(t.incidents.c.kind, t.incidents.c.detail))]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database after scan, allocate and execute: each test works on a copy."""
    path = tmp_path_factory.mktemp("standing") / "base.sqlite"
    db = f"sqlite:///{path}"
    scan_and_allocate(db)
    execute(db)
    return path


def copy_of(base: Path, tmp_path: Path) -> str:
    path = tmp_path / "ml.sqlite"
    shutil.copy(base, path)
    return f"sqlite:///{path}"


def assert_halted(db: str, st: ml.Standing, what: str) -> None:
    assert not st.start.ok
    assert any(what in str(d) for d in st.start.differences), st.start.summary()
    assert st.account.orders.halted is not None
    assert any(k == "reconciliation" and "trading halted" in d for k, d in incidents(db))
    # A new order is refused with the reason, in one line, no traceback.
    cid = _opened_candidate(db)
    code, text = run("execute", "--strategy-id", cid, "--force", "--db", db, "--json")
    assert code == 1, text
    assert "Traceback" not in text
    [entry] = json.loads(text)["entries"]
    assert "account halted: reconciliation" in entry["reason"], entry
    assert "\n" not in entry["reason"]


def _opened_candidate(db: str) -> str:
    engine = create_engine(db)
    try:
        scan = store.latest_run(engine, store.SCAN_MODE)
        assert scan is not None
        c = t.strategy_candidates.c
        with engine.connect() as conn:
            return str(
                conn.execute(
                    sa.select(c.candidate_id).where(c.run_id == scan, c.status == "executed").limit(1)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_the_broker_state_is_its_own_and_agrees_after_normal_use(executed: Path, tmp_path: Path) -> None:
    db = copy_of(executed, tmp_path)
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            state = json.loads(conn.execute(sa.select(sim_broker_state.c.state_json)).scalar_one())
            fills = conn.execute(sa.select(t.fills.c.execution_id)).scalars().all()
        cash = store.ledger_balance(engine, RUN, "large")
    finally:
        engine.dispose()
    assert fills and sorted(f["execution_id"] for f in state["executions"]) == sorted(fills)
    assert sum(Decimal(e["amount"]) for e in state["ledger"]) == cash
    assert state["positions"] and state["orders"]
    st = open_standing(db)
    st.close()
    assert st.start.ok, st.start.summary()
    assert st.account.orders.halted is None


def _more_cash(state: dict[str, Any]) -> None:
    e = state["ledger"][0]
    state["ledger"].append({**e, "amount": "0.01", "ref": "gift"})


def _extra_position(state: dict[str, Any]) -> None:
    inst = {"kind": "stock", "symbol": "SPY", "market": "US"}
    state["positions"].append({"instrument": inst, "quantity": 100, "avg_price": "400"})


def _lost_position(state: dict[str, Any]) -> None:
    state["positions"].pop()


def _lost_execution(state: dict[str, Any]) -> None:
    state["executions"].pop()


def _stray_execution(state: dict[str, Any]) -> None:
    f = dict(state["executions"][0])
    f.update(execution_id="stray-1", fill_id="stray-1", client_order_id="someone-else")
    state["executions"].append(f)


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (_more_cash, "cash"),
        (_extra_position, "SPY"),
        (_lost_position, ""),
        (_lost_execution, "the broker does not have"),
        (_stray_execution, "unknown order someone-else"),
    ],
)
def test_tampering_with_the_broker_halts_the_account(
    executed: Path, tmp_path: Path, change: Callable[[dict[str, Any]], None], what: str
) -> None:
    db = copy_of(executed, tmp_path)
    edit_state(db, change)
    st = open_standing(db)
    st.close()
    assert_halted(db, st, what)


def test_a_fill_row_deleted_from_the_engine_is_found(executed: Path, tmp_path: Path) -> None:
    db = copy_of(executed, tmp_path)
    engine = create_engine(db)
    try:
        with engine.begin() as conn:
            gone = conn.execute(sa.select(sa.func.min(t.fills.c.id))).scalar_one()
            eid = conn.execute(sa.select(t.fills.c.execution_id).where(t.fills.c.id == gone)).scalar_one()
            conn.execute(sa.delete(t.fills).where(t.fills.c.id == gone))
    finally:
        engine.dispose()
    st = open_standing(db)
    st.close()
    assert_halted(db, st, f"fill {eid}")
    # Not adopted: the engine's ledger already holds what that fill did, it must not count twice.
    assert count(db, sa.select(sa.func.count()).where(t.fills.c.execution_id == eid)) == 0


def crash_after_the_broker_filled(db: str) -> Fill:
    """Enter one strategy, let the broker fill it (it writes its state), and die before the engine
    hears of the fill: the engine stored the order before sending it, and nothing after."""
    st = open_standing(db)
    assert st.start.ok, st.start.summary()
    scan = store.latest_run(st.recorder.engine, store.SCAN_MODE)
    assert scan is not None
    planned = [a.candidate_id for a in store.latest_plan(st.recorder.engine, scan)]
    for stored in store.candidates(st.recorder.engine, scan, planned):
        d = st.desk.enter(candidate_from(stored), 1, reason="test", force=True)
        if d.value is not None:
            break
    assert d.value is not None, d.reason
    fills: list[Fill] = []
    for _ in range(30):
        st.view.clock.advance_to(st.view.clock.now() + timedelta(minutes=1))
        fills += [e for e in st.account.broker.poll_events() if isinstance(e, Fill)]
        if fills:
            break
    assert fills, "the broker never filled the entry"
    st.close()  # the process ends here: the engine never processed the events
    return fills[0]


def _adopts_once(db: str) -> None:
    scan_and_allocate(db)
    filled = crash_after_the_broker_filled(db)
    e = t.fills.c.execution_id
    assert count(db, sa.select(sa.func.count()).where(e == filled.execution_id)) == 0
    st = open_standing(db)
    st.close()
    assert st.start.ok, st.start.summary()
    assert st.account.orders.halted is None
    assert any(k == "adopted" and filled.execution_id in d for k, d in incidents(db))
    assert count(db, sa.select(sa.func.count()).where(e == filled.execution_id)) == 1
    engine = create_engine(db)
    try:
        cash = store.ledger_balance(engine, RUN, "large")
    finally:
        engine.dispose()
    assert cash == st.account.broker.account().cash == st.account.book.cash  # to the cent
    again = open_standing(db)  # recorded once: nothing left to adopt
    again.close()
    assert again.start.ok, again.start.summary()
    assert count(db, sa.select(sa.func.count()).where(e == filled.execution_id)) == 1
    assert sum(k == "adopted" and filled.execution_id in d for k, d in incidents(db)) == 1


def test_a_fill_the_engine_never_recorded_is_adopted_once_on_sqlite(tmp_path: Path) -> None:
    _adopts_once(f"sqlite:///{tmp_path / 'ml.sqlite'}")


@pytest.mark.postgres
def test_a_fill_the_engine_never_recorded_is_adopted_once_on_postgres(pg_schema_url: str) -> None:
    _adopts_once(pg_schema_url)


@pytest.mark.postgres
def test_tampered_broker_cash_halts_on_postgres(pg_schema_url: str) -> None:
    scan_and_allocate(pg_schema_url)
    execute(pg_schema_url)
    edit_state(pg_schema_url, _more_cash)
    st = open_standing(pg_schema_url)
    st.close()
    assert_halted(pg_schema_url, st, "cash")
