"""`runs list / show / compare / report` on runs stored by real backtests, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from optionpilot.cli.main import app

runner = CliRunner()


def _backtest(url: str, out: Path, seed: int, *extra: str) -> str:
    args = ["backtest", "--days", "1", "--symbols", "SPY", "--seed", str(seed), "--db", url]
    args += ["--out", str(out)]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    found = re.search(r"run (\S+) \(completed\)", result.output)
    assert found is not None
    return found.group(1)


def test_list_show_compare_and_report_again(db_url: str, tmp_path: Path) -> None:
    first = _backtest(db_url, tmp_path / "out", 1)
    second = _backtest(db_url, tmp_path / "out", 2, "--flow", "main")

    listed = runner.invoke(app, ["runs", "list", "--db", db_url, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["run_id"]: r for r in json.loads(listed.output)}
    assert set(rows) == {first, second}
    assert rows[first]["flow"] == "both" and rows[second]["flow"] == "main"
    assert rows[first]["period"] == "2026-10-30..2026-10-30" and rows[first]["status"] == "completed"
    large = next(a for a in rows[first]["accounts"] if a["name"] == "large")
    assert {"final_equity", "total_return", "sharpe", "max_drawdown", "trades"} <= set(large)
    text = runner.invoke(app, ["runs", "list", "--db", db_url])
    assert text.exit_code == 0 and "completed" in text.output

    compared = runner.invoke(app, ["runs", "compare", first, second, "--db", db_url, "--json"])
    assert compared.exit_code == 0, compared.output
    both = json.loads(compared.output)
    assert both["differences"]["run.seed"] == [1, 2]
    assert [r["flow"] for r in both["runs"]] == ["both", "main"]
    assert both["runs"][0]["figures"]["large"]["final_equity"] == large["final_equity"]
    shown = runner.invoke(app, ["runs", "compare", first, second, "--db", db_url])
    assert shown.exit_code == 0 and "configuration differences" in shown.output

    again = runner.invoke(app, ["runs", "report", first, "--db", db_url, "--out", str(tmp_path / "again")])
    assert again.exit_code == 0, again.output
    name = f"report-{first}.html"
    assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()

    missing = runner.invoke(app, ["runs", "compare", first, "bt-nope", "--db", db_url])
    assert missing.exit_code == 2 and "run bt-nope not in" in missing.output
    lonely = runner.invoke(app, ["runs", "compare", first, "--db", db_url])
    assert lonely.exit_code == 2 and "two or more" in lonely.output


def test_an_unwritable_out_is_refused_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    url = f"sqlite:///{tmp_path / 'bt.db'}"
    result = runner.invoke(app, ["backtest", "--days", "1", "--db", url, "--out", str(blocker / "out")])
    assert result.exit_code == 2
    assert "is a file, not a directory" in result.output and "bar-events" not in result.output
    assert not (tmp_path / "bt.db").exists()
