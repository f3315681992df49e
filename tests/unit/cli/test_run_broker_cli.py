"""`run --broker alpaca`: what is wrong before anything trades is one line and exit 2, secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app


def _run(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    base = {"APCA_API_KEY_ID": "", "APCA_API_SECRET_KEY": "", "OPTIONPILOT_ALPACA_TRADING_URL": ""}
    result = CliRunner().invoke(
        app, ["run", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", *args], env={**base, **env}
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("mode", [[], ["--paper"], ["--live"]])
def test_no_keys_is_one_line_naming_the_variables(tmp_path: Path, mode: list[str]) -> None:
    code, out = _run(tmp_path, ["--broker", "alpaca", *mode], {})
    assert code == 2
    assert out.strip().splitlines() == [
        "error: Alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY in the environment"
    ]


def test_an_unreachable_broker_is_one_line_without_the_secret(tmp_path: Path) -> None:
    env = {
        "APCA_API_KEY_ID": "PKX",
        "APCA_API_SECRET_KEY": "very-secret-value",
        "OPTIONPILOT_ALPACA_TRADING_URL": "http://127.0.0.1:9",  # nothing listens on the discard port
    }
    code, out = _run(tmp_path, ["--broker", "alpaca"], env)
    assert code == 2
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "GET /v2/clock: cannot connect" in lines[0], out
    assert "very-secret-value" not in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--broker", "alpaca", "--until", "25:00"], "--until '25:00'"),
        (["--broker", "alpaca", "--scenario", "crash"], "--scenario"),
        (["--broker", "dhan"], "no dhan adapter"),
        (["--broker", "ib"], "choose sim, alpaca or dhan"),
        (["--broker", "sim", "--live"], "--live"),
        (["--broker", "sim", "--until", "10:00"], "--until and --account"),
    ],
)
def test_wrong_flags_are_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    code, out = _run(tmp_path, args, {"APCA_API_KEY_ID": "PKX", "APCA_API_SECRET_KEY": "s"})
    assert code == 2
    assert len(out.strip().splitlines()) == 1 and says in out, out
