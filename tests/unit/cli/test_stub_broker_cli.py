"""`optionpilot stub-broker alpaca`: bad input is one clear line, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--fault", "http-503"], "unknown fault 'http-503'"),
        (["--fault", "drop-stream:7"], "rate must be from 0 to 1"),
        (["--host", "0.0.0.0", "--port", "0"], "loopback"),
        (["--start", "2026-10-05T13:25:00"], "give the offset"),
    ],
)
def test_bad_options_are_one_line(args: list[str], words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APCA_API_KEY_ID", "PKTEST")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "not-a-real-secret")
    result = CliRunner().invoke(app, ["stub-broker", "alpaca", *args])
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output
    assert "not-a-real-secret" not in result.output
