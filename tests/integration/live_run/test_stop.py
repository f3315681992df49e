"""SIGTERM stops a broker run cleanly: no new orders, the step finished, reconciled, marked done, exit 0."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .conftest import SYMBOLS, StubFactory, alpaca_env
from .processes import Runner


def test_sigterm_finishes_the_step_reconciles_and_exits_zero(
    alpaca_stub: StubFactory, tmp_path: Path
) -> None:
    stub = alpaca_stub(speed=60.0, seconds_before_open=-5 * 60)
    db_file = tmp_path / "live.sqlite"
    argv = [
        "run", "--broker", "alpaca", "--db", f"sqlite:///{db_file}", "--symbols", ",".join(SYMBOLS),
        "--log", str(tmp_path / "run.log"),
    ]  # fmt: skip
    runner = Runner(tmp_path / "out.txt")
    outcome = runner.run(argv, alpaca_env(stub), 60.0, terminate_after_s=8.0)
    out = (tmp_path / "out.txt").read_text(errors="replace")
    assert outcome.exitcode == 0, out[-2000:]
    assert "SIGTERM: no new orders" in out
    assert "ended (SIGTERM: stopped by the operator)" in out
    assert "reconciliation alpaca-paper: book and broker agree" in out
    with sqlite3.connect(db_file) as conn:
        status, ended = conn.execute("SELECT status, ended_at FROM runs").fetchone()
    assert status == "completed" and ended is not None
