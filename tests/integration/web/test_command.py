"""`optionpilot dashboard` as a user starts it: it prints a ready URL whose token opens the page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from optionpilot.web.security import TOKEN_ENV

from .conftest import Filled


def test_the_command_prints_a_url_that_opens_the_dashboard(filled_db: Filled, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    exe = str(Path(sys.executable).parent / "optionpilot")
    cmd = [exe, "dashboard", "--db", filled_db.url, "--port", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("dashboard: http://127.0.0.1:"), line
        url = line.removeprefix("dashboard: ")
        base, _, token = url.partition("/?token=")
        assert len(token) >= 24
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert client.get("/").status_code == 401
            opened = client.get(url, follow_redirects=True)
            assert opened.status_code == 200 and filled_db.run_id in opened.text
            api = client.get("/api/accounts", headers={"Authorization": f"Bearer {token}"})
            assert [a["name"] for a in api.json()["data"]] == ["large", "tiny"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert token not in err  # the access log is off: the token is printed once, on stdout
