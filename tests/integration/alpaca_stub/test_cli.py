"""`optionpilot stub-broker alpaca` as a user starts it: it says where it listens and serves the SDK."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
from alpaca.trading.client import TradingClient

OPTIONPILOT = Path(sys.executable).with_name("optionpilot")


def test_the_command_serves_with_keys_from_the_environment() -> None:
    env = {**os.environ, "APCA_API_KEY_ID": "PKCLI", "APCA_API_SECRET_KEY": "cli-secret-value"}
    proc = subprocess.Popen(
        [str(OPTIONPILOT), "stub-broker", "alpaca", "--port", "0", "--speed", "120", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", first)
        assert found, first
        lines = [proc.stdout.readline() for _ in range(2)]
        assert "cli-secret-value" not in first + "".join(lines)
        client = TradingClient("PKCLI", "cli-secret-value", paper=True, url_override=found.group(0))
        # The socket is bound before the line is printed; the app may still be starting: ask until it answers.
        account = None
        for _ in range(400):
            try:
                account = client.get_account()
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert account is not None and account.cash == "100000"
    finally:
        proc.terminate()
        proc.wait(30)
