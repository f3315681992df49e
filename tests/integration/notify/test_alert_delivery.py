"""A backtest whose options all fail the liquidity check alerts a local webhook server, and stores it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from optionpilot.testing.backtests import run_backtest, sqlite_url


class Hook:
    """A local webhook that answers 200 and keeps every body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def test_liquidity_failures_in_a_backtest_reach_the_webhook(hook: Hook, tmp_path: Path) -> None:
    db = sqlite_url(tmp_path)
    bt, result = run_backtest(
        db,
        notify={"webhook_url": hook.url},
        # No listed option has this much open interest: every selection fails the liquidity check.
        strategy={"liquidity": {"min_open_interest": 10**9}},
        alerts={"liquidity_min_checks": 3},
    )
    bt.notifier.close()  # delivers what the worker still holds
    assert result.reconciled
    liquidity = [b for b in hook.bodies if b["title"].endswith(": liquidity_failures")]
    assert liquidity, [b["title"] for b in hook.bodies]
    assert liquidity[0]["level"] == "warning"
    assert "liquidity checks failed (100%), above 20%" in liquidity[0]["text"]  # Slack's field
    checks = sum(a.liquidity_checks for a in bt.accounts)
    assert checks >= 3 and checks == sum(a.liquidity_failures for a in bt.accounts)
    with sa.create_engine(db).connect() as conn:
        stored = conn.execute(
            sa.text("SELECT account_id, detail FROM incidents WHERE run_id = :r AND kind = 'alert'"),
            {"r": bt.run_id},
        ).all()
    assert len(stored) == len(bt.alerts.sent) == len(hook.bodies)
    assert any(detail.startswith("warning liquidity_failures: ") for _, detail in stored)
