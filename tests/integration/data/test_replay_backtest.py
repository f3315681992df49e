"""The engine replays the GOOG store through `build_backtest` (a shortened session), and the CLI imports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from optionpilot.adapters.files.importer import ImportResult
from optionpilot.adapters.files.replay import open_store_for_backtest
from optionpilot.adapters.files.store import DataStore
from optionpilot.app.backtest import MarketSource, build_backtest
from optionpilot.cli.data import app
from optionpilot.core.calendars import Session
from optionpilot.testing.backtests import backtest_config, sqlite_url


def test_goog_replay_runs_through_the_engine(
    full_store: tuple[DataStore, list[ImportResult]], tmp_path: Path
) -> None:
    store, _ = full_store
    spec = open_store_for_backtest(store.root, ["GOOG"])
    first = spec.sessions[0]
    short = Session(first.day, first.open, first.open + timedelta(minutes=20))
    source = MarketSource(spec.market, [short], spec.open, spec.step_minutes, spec.label)
    bt = build_backtest(backtest_config(sqlite_url(tmp_path)), source=source)
    result = bt.runner.run()
    assert bt.ticker.total == 20
    assert bt.clock.now() == short.close
    assert bt.pipeline.bar_events == 20  # one GOOG bar per minute of the regular session
    assert result is not None


def test_cli_import_then_check(shared_data: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner = CliRunner()
    src = shared_data / "options/intraday/spy_20230803"
    out = runner.invoke(app, ["import", str(src), "--store", str(store)])
    assert out.exit_code == 0, out.output
    assert "IV history: 1 days computed" in out.output
    manifest = (store / "imports.json").read_text()
    again = runner.invoke(app, ["import", str(src), "--store", str(store)])
    assert again.exit_code == 0 and (store / "imports.json").read_text() == manifest
    checked = runner.invoke(app, ["check", "--store", str(store)])
    assert checked.exit_code == 0, checked.output
    assert (store / "check_flags.csv").is_file()
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    failed = runner.invoke(app, ["import", str(bad), "--store", str(store)])
    assert failed.exit_code == 2 and "cannot tell the format" in failed.output
