"""Kill and close on the standing account of the multi-leg verbs (no process runs it between verbs):
the operator's verb closes it itself, the halt is stored, and `execute` enters nothing until `resume`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from optionpilot.cli.main import app
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine

SYMBOLS = ["--symbol", "SPY", "--symbol", "QQQ", "--symbol", "NVDA", "--symbol", "IWM"]


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args))
    return out.exit_code, out.output


def open_positions(db: str) -> list[Any]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(t.positions.c.position_id).where(t.positions.c.status.in_(["open", "closing"]))
                ).scalars()
            )
    finally:
        engine.dispose()


def test_kill_closes_the_standing_account_and_execute_waits_for_resume(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'standing.sqlite'}"
    for args in (("scan", *SYMBOLS), ("allocate", "50000"), ("execute",)):
        code, text = run(*args, "--db", db, "--json")
        assert code == 0, text
    held = open_positions(db)
    assert len(held) >= 2, "execute entered too little for the test to mean anything"

    code, text = run("close", held[0], "--db", db)
    assert code == 0, text
    assert "done: 1 of 1 closed by hand" in text
    assert held[0] not in open_positions(db)

    code, text = run("kill", "--account", "large", "--db", db)
    assert code == 0, text
    assert "standing-us-large: done" in text
    assert open_positions(db) == []
    code, text = run("status", "--json", "--db", db)
    rows = {r["account"]: r for r in json.loads(text)}
    assert rows["large"]["state"] == "halted" and rows["large"]["open_positions"] == 0

    code, text = run("execute", "--force", "--db", db, "--json")
    assert code == 0, text
    assert open_positions(db) == []  # halted: nothing entered
    assert "risk.state_halted" in text

    code, text = run("resume", "--account", "large", "--db", db)
    assert code == 0, text
    code, text = run("execute", "--force", "--db", db, "--json")
    assert code == 0, text
    assert open_positions(db), "resumed, execute enters again"
