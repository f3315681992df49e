"""Command-line habits (issue 16): one-line usage errors with exit 2, a readable `config show`, --db that
never invents folders, `sentiment train` that never writes into an installed package."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli import sentiment
from optionpilot.cli.main import app, main

runner = CliRunner()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backtest", "--dayz", "3"], "No such option: --dayz"),
        (["runs", "bogus"], "No such command 'bogus'"),
        (["backtest", "--days", "x"], "Invalid value for '--days'"),
    ],
)
def test_a_bad_flag_is_one_line_and_exit_2(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["optionpilot", *argv])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "--help`" in err
    assert "╭" not in err and "Traceback" not in err


def test_config_show_is_a_table_unless_json() -> None:
    as_json = runner.invoke(app, ["config", "show", "--json"])
    assert json.loads(as_json.output)["run"]["seed"] == 7
    text = runner.invoke(app, ["config", "show"])
    assert text.exit_code == 0 and text.output != as_json.output
    assert "run.seed" in text.output and "strategy.exits.profit_target" in text.output


def test_db_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'typo' / 'bt.db'}"
    result = runner.invoke(app, ["backtest", "--days", "1", "--db", url, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "does not exist; create it first" in result.output
    assert not (tmp_path / "typo").exists()


def test_sentiment_train_writes_to_the_user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert sentiment.user_model_path() == tmp_path / "optionpilot" / "models" / "sentiment_linear_v1.npz"
    assert not sentiment._inside_installed_package(tmp_path / "m.npz")
