"""`optionpilot kill` against a running `optionpilot run --broker sim` (two processes, one database).

The run trades two sessions at 60 simulated minutes a second; once it holds positions, `kill` (its own
process, `--wait 10`) must leave 0 open orders and 0 positions (it exits 1 when the run has not done it in
10 s), and the run sends no order after that for the rest of its sessions. A new run then starts HALTED
(the state is kept across restarts) and sends no entry until `resume`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine

SYMBOLS = ("--symbols", "SPY,QQQ,IWM,AAPL")
CLI = [sys.executable, "-c", "from optionpilot.cli.main import main; main()"]


def _cli(*args: str, db: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args, "--db", db], capture_output=True, text=True, timeout=timeout, env=_env(), check=False
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OPTIONPILOT_NOTIFY__WEBHOOK_URL", None)
    return env


def _status(db: str) -> list[dict[str, object]]:
    done = _cli("status", "--json", db=db)
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def _open_now(engine: sa.Engine, run_id: str) -> tuple[int, int]:
    o, p = t.orders.c, t.positions.c
    terminal = ["filled", "canceled", "rejected", "expired"]
    with engine.connect() as conn:
        orders = conn.execute(
            sa.select(sa.func.count()).where(o.run_id == run_id, o.status.not_in(terminal))
        ).scalar_one()
        positions = conn.execute(
            sa.select(sa.func.count()).where(p.run_id == run_id, p.status.in_(["open", "closing"]))
        ).scalar_one()
    return int(orders), int(positions)


def test_kill_flattens_a_running_run_and_nothing_is_sent_after(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'op.sqlite'}"
    run = subprocess.Popen(
        [*CLI, "run", "--broker", "sim", "--sessions", "2", "--speed", "60", *SYMBOLS, "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        engine = create_engine(db, check=False)
        held = 0
        for _ in range(600):  # until the run holds positions (about 3 s of its trading), at most 60 s
            time.sleep(0.1)
            if run.poll() is not None:
                break
            try:
                with engine.connect() as conn:
                    held = conn.execute(
                        sa.select(sa.func.count()).where(t.positions.c.status == "open")
                    ).scalar_one()
            except sa.exc.OperationalError:
                continue  # the run is still creating its schema
            if held >= 2:
                break
        assert run.poll() is None, f"the run ended before the kill: {run.stderr.read() if run.stderr else ''}"
        assert held >= 2

        killed = _cli("kill", "--wait", "10", db=db)
        assert killed.returncode == 0, killed.stdout + killed.stderr
        assert killed.stdout.count(": done: ") == 2, killed.stdout  # both accounts, each by the run
        rows = _status(db)
        run_id = str(rows[0]["run_id"])
        assert {r["account"]: r["state"] for r in rows} == {"large": "halted", "tiny": "halted"}
        assert _open_now(engine, run_id) == (0, 0)
        with engine.connect() as conn:
            done_at = conn.execute(sa.select(sa.func.max(t.operator_commands.c.updated_at))).scalar_one()
            closed_by_kill = conn.execute(
                sa.select(sa.func.count()).where(
                    t.orders.c.reason.like("operator.kill%"), t.orders.c.status == "filled"
                )
            ).scalar_one()
        assert closed_by_kill >= 1

        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, out + err
        assert "halted" in out
        with engine.connect() as conn:
            after = conn.execute(
                sa.select(sa.func.count()).where(t.orders.c.run_id == run_id, t.orders.c.created_at > done_at)
            ).scalar_one()
            refused = conn.execute(
                sa.select(sa.func.count()).where(
                    t.rejections.c.run_id == run_id, t.rejections.c.rule == "risk.state_halted"
                )
            ).scalar_one()
        assert after == 0  # the rest of the session and the next one: not one order
        assert refused > 0  # the engine still wanted to enter, and was told why not
        assert _open_now(engine, run_id) == (0, 0)

        # A new run keeps the halt it finds; resume is the way back.
        again = _cli("run", "--sessions", "1", "--speed", "0", *SYMBOLS, db=db, timeout=180)
        assert again.returncode == 0, again.stdout + again.stderr
        rows = _status(db)
        second = str(rows[0]["run_id"])
        assert second != run_id
        with engine.connect() as conn:
            entries = conn.execute(
                sa.select(sa.func.count()).where(t.orders.c.run_id == second, t.orders.c.purpose == "entry")
            ).scalar_one()
        assert entries == 0
        resumed = _cli("resume", "--account", "large", db=db)
        assert resumed.returncode == 0, resumed.stderr
        states = {r["account"]: r["state"] for r in _status(db)}
        assert states == {"large": "active", "tiny": "halted"}
        engine.dispose()
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()


def test_at_a_live_pace_a_kill_is_obeyed_between_ticks(tmp_path: Path) -> None:
    """One simulated minute a minute: a tick is 60 s apart, and the kill must not wait for the next one."""
    db = f"sqlite:///{tmp_path / 'live.sqlite'}"
    run = subprocess.Popen(
        [*CLI, "run", "--sessions", "1", "--speed", "1", "--symbols", "SPY", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        engine = create_engine(db, check=False)
        for _ in range(600):  # until the first tick is stored
            time.sleep(0.1)
            try:
                with engine.connect() as conn:
                    if conn.execute(sa.select(sa.func.count()).select_from(t.run_health)).scalar_one():
                        break
            except sa.exc.OperationalError:
                continue
        assert run.poll() is None
        killed = _cli("kill", "--wait", "5", db=db)
        assert killed.returncode == 0, killed.stdout + killed.stderr
        assert killed.stdout.count(": done: ") == 2, killed.stdout
        engine.dispose()
    finally:
        run.terminate()
        run.communicate(timeout=30)
