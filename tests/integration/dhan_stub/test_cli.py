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
