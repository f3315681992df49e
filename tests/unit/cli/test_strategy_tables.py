"""The strategy verbs' text output: a titled table, its columns, then the notes; --json prints JSON only."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from optionpilot.cli.main import app


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args))
    return out.exit_code, out.output


def test_tables_and_notes_in_text_json_alone_with_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.sqlite'}"
    code, text = run("scan", "--symbol", "SPY", "--db", db)
    assert code == 0, text
    lines = text.splitlines()
    assert "best strategy per symbol" in lines[0]
    header = next(line for line in lines if "symbol" in line and "margin" in line)
    names = [c.strip() for c in header.strip("┃ ").split("┃")]
    assert names == ["symbol", "view", "IV", "strategy", "conviction", "score", "debit/sh", "max profit",
                     "max loss", "POP", "margin"]  # fmt: skip
    spy = next(line for line in lines if line.startswith("│ SPY"))
    score = spy.split("│")[6]
    assert score.endswith(" ") and score.strip() and score.startswith("  ")  # right-aligned
    assert "candidates evaluated in" in lines[-1] and "volatility index" in lines[-1]

    code, text = run("allocate", "20000", "--db", db, "--json")
    assert code == 0 and json.loads(text)["positions"], text  # nothing but the JSON document

    code, text = run("monitor", "--once", "--db", db)
    assert code == 0, text
    assert "monitor at" in text.splitlines()[0] and text.splitlines()[-1] == "no open multi-leg position"
