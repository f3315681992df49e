"""`optionpilot stub-broker dhan`: bad input is one clear line, never a traceback, never the token."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app


@pytest.mark.parametrize(
    ("args", "client_id", "words"),
    [
        (["--fault", "gremlins"], "1100", "unknown fault 'gremlins'"),
        (["--fault", "dh-904:7"], "1100", "rate must be from 0 to 1"),
        (["--host", "0.0.0.0", "--port", "0"], "1100", "loopback"),
        (["--start", "2026-10-05T09:25:00"], "1100", "give the offset"),
        (["--port", "0"], "1" * 21, "client_id: String should have at most 20 characters"),
    ],
)
def test_bad_options_are_one_line(
    args: list[str], client_id: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DHAN_CLIENT_ID", client_id)
    monkeypatch.setenv("DHAN_ACCESS_TOKEN", "not-a-real-token")
    result = CliRunner().invoke(app, ["stub-broker", "dhan", *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert "not-a-real-token" not in result.output
