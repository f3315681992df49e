"""The command line: errors are one line and exit 2; config show masks secrets; a tiny backtest runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app

runner = CliRunner()


def test_unknown_flag_exits_2() -> None:
    result = runner.invoke(app, ["backtest", "--dayz", "3"])
    assert result.exit_code == 2


def test_unknown_config_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[engine]\nwatchlist_intervall_minutes = 5\n")
    result = runner.invoke(app, ["backtest", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "unknown config key 'engine.watchlist_intervall_minutes'" in result.output
    assert str(cfg) in result.output


def test_wrong_value_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[accounts]]\nname = "x"\nstarting_cash = "-5"\n')
    result = runner.invoke(app, ["config", "show", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "accounts.0.starting_cash" in result.output


def test_bad_database_url_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["backtest", "--days", "1", "--db", "nosuchdb://x/y", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "nosuchdb" in result.output and "Traceback" not in result.output


def test_unknown_symbol_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backtest", "--symbols", "SPY,NOPE", "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert "NOPE" in result.output


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIONPILOT_LIVE__ALPACA_SECRET_KEY", "s3cr3t-value")
    monkeypatch.setenv("OPTIONPILOT_RUN__SEED", "11")
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "s3cr3t-value" not in result.output
    assert '"alpaca_secret_key": "********"' in result.output
    assert '"seed": 11' in result.output


@pytest.mark.slow
def test_a_one_day_backtest_runs_and_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["backtest", "--days", "1", "--symbols", "SPY,QQQ,AAPL", "--seed", "5",
         "--db", f"sqlite:///{tmp_path}/bt.sqlite", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "reconciliation large: book and broker agree" in result.output
    reports = list(out.glob("report-*.html"))
    assert len(reports) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--scenario", "meltdown"], "--scenario 'meltdown': choose crash, gap, halt, calm"),
        (["--scenario", "crash", "--days", "2"], "scenario crash: session 2 is beyond the 2 sessions"),
        (["--scenario", "halt", "--data", "/nowhere"], "--scenario transforms the simulator"),
    ],
)
def test_a_bad_scenario_is_one_clear_line(tmp_path: Path, args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["backtest", *args, "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert expected in " ".join(result.output.split()) and "Traceback" not in result.output
