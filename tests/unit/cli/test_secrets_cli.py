"""Secrets: a database password never shown; broker keys only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import secret_fields
from optionpilot.cli.main import app

SECRET = "s3cr3t-pw-4711"
runner = CliRunner()


@pytest.mark.parametrize("as_json", [True, False])
def test_config_show_masks_the_database_password(monkeypatch: pytest.MonkeyPatch, as_json: bool) -> None:
    monkeypatch.setenv("OPTIONPILOT_RUN__DB", f"postgresql+psycopg://trader:{SECRET}@db.example/op")
    result = runner.invoke(app, ["config", "show", *(["--json"] if as_json else [])])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "postgresql+psycopg://trader:***@db.example/op" in result.output


def test_every_secret_field_is_found() -> None:
    assert {".".join(p) for p in secret_fields(OptionPilotConfig)} == {
        "live.alpaca_key_id", "live.alpaca_secret_key", "live.dhan_client_id", "live.dhan_access_token",
        "notify.webhook_url",  # a chat webhook's URL carries its token
    }  # fmt: skip


@pytest.mark.parametrize("key", [".".join(p) for p in secret_fields(OptionPilotConfig)])
@pytest.mark.parametrize("command", [["config", "show"], ["backtest", "--days", "1"]])
def test_a_key_in_the_config_file_is_refused(tmp_path: Path, key: str, command: list[str]) -> None:
    table, name = key.split(".")
    cfg = tmp_path / "op.toml"
    cfg.write_text(f'[{table}]\n{name} = "{SECRET}"\n')
    result = runner.invoke(app, [*command, "--config", str(cfg)])
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert f"'{key}' is a secret" in lines[0] and str(cfg) in lines[0]
    assert f"OPTIONPILOT_{table.upper()}__{name.upper()}" in lines[0]
    assert SECRET not in result.output


def test_a_key_from_the_environment_is_accepted_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIONPILOT_LIVE__DHAN_ACCESS_TOKEN", SECRET)
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and '"dhan_access_token": "********"' in result.output


def test_a_connection_error_does_not_echo_the_password(tmp_path: Path) -> None:
    # Port 1 on this machine: refused at once, no network involved.
    url = f"postgresql+psycopg://trader:{SECRET}@127.0.0.1:1/op?connect_timeout=2"
    result = runner.invoke(app, ["backtest", "--days", "1", "--db", url, "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert SECRET not in result.output
    assert "trader:***@127.0.0.1:1" in result.output
