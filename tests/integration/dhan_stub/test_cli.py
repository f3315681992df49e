"""`optionpilot stub-broker dhan` as a user starts it: it says where it listens and serves the SDK."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from dhanhq import DhanContext, dhanhq

OPTIONPILOT = Path(sys.executable).with_name("optionpilot")


def test_the_command_serves_with_credentials_from_the_environment() -> None:
    env = {**os.environ, "DHAN_CLIENT_ID": "1100777001", "DHAN_ACCESS_TOKEN": "cli-token-value"}
    proc = subprocess.Popen(
        [str(OPTIONPILOT), "stub-broker", "dhan", "--port", "0", "--speed", "120", "--fault", "dh-904:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/v2", first)
        assert found, first
        lines = [proc.stdout.readline() for _ in range(4)]
        assert "cli-token-value" not in first + "".join(lines)
        dhan = dhanhq(DhanContext("1100777001", "cli-token-value"))
        dhan.dhan_http.base_url = found.group(0)
        # The socket is bound before the line is printed; the app may still be starting: ask until it answers.
        answer: dict[str, object] = {}
        for _ in range(400):
            answer = dhan.get_fund_limits()
            if answer["status"] == "success":
                break
            time.sleep(0.05)
        assert answer["status"] == "success", answer
        assert answer["data"]["availabelBalance"] == 1_000_000.0  # type: ignore[index]
    finally:
        proc.terminate()
        proc.wait(30)


def test_bad_options_are_one_line_errors() -> None:
    # Each start of the command costs seconds of imports: two cases, one per kind of check.
    for args, client_id, says in (
        (["--fault", "gremlins"], "1", "unknown fault 'gremlins'"),
        ([], "1" * 21, "client_id: String should have at most 20 characters"),
    ):
        done = subprocess.run(
            [str(OPTIONPILOT), "stub-broker", "dhan", "--port", "0", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DHAN_CLIENT_ID": client_id, "DHAN_ACCESS_TOKEN": "t"},
        )
        assert done.returncode == 2, done.stderr
        assert says in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
