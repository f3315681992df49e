"""Alerts reach a local webhook server and a log file, retried, filtered by level, never blocking trading."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from optionpilot.adapters.notify.alert import Alert
from optionpilot.adapters.notify.config import NotifyConfig
from optionpilot.adapters.notify.notifier import Notifiers
from optionpilot.adapters.notify.webhook import WebhookNotifier
from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import masked_dump
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.domain.instruments import AssetClass, Underlying
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

NOW = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
TOKEN = "T0KEN-abc123"


class Hook:
    """A local webhook: answers the first `failures` posts with 500, then 200; keeps every body."""

    def __init__(self, failures: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.failures = failures
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.bodies.append(body)
                ok = len(hook.bodies) > hook.failures
                self.send_response(200 if ok else 500)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{TOKEN}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook(failures=2)
    yield h
    h.close()


def test_a_webhook_alert_is_retried_until_delivered(hook: Hook) -> None:
    waits: list[float] = []
    cfg = NotifyConfig(webhook_url=SecretStr(hook.url), retries=3, backoff_s=0.5)
    notifier = WebhookNotifier(cfg, sleep=waits.append)
    notifier.send(Alert(NOW, "critical", "large: reconciliation", "book and broker differ"))
    notifier.close()
    assert notifier.delivered == 1 and notifier.dropped == 0
    assert waits == [0.5, 1.0]  # two failures, then the third try is answered 200
    assert len(hook.bodies) == 3
    body = hook.bodies[-1]
    assert body["text"] == "[CRITICAL] large: reconciliation: book and broker differ"  # Slack's field
    assert body["level"] == "critical" and body["ts"] == NOW.isoformat()


def test_an_unreachable_webhook_drops_the_alert_and_never_logs_its_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cfg = NotifyConfig(webhook_url=SecretStr(f"http://127.0.0.1:9/hooks/{TOKEN}"), retries=1, timeout_s=1)
    notifier = WebhookNotifier(cfg, sleep=lambda _: None)
    with caplog.at_level(logging.ERROR):
        notifier.send(Alert(NOW, "error", "rejections", "12 orders refused"))  # returns at once
        notifier.close()
    assert notifier.delivered == 0 and notifier.dropped == 1
    assert "gave up on 'rejections' after 2 tries" in caplog.text
    assert TOKEN not in caplog.text


def test_the_log_file_gets_alerts_at_or_above_the_level(tmp_path: Path) -> None:
    path = tmp_path / "alerts" / "alerts.jsonl"
    notifiers = Notifiers.from_config(NotifyConfig(log_file=path), SimulatedClock(NOW))
    notifiers.notify("info", "heartbeat", "all well")  # below the default "warning"
    notifiers.notify("warning", "stale data", "no bar from SPY for 6 minutes")
    notifiers.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["title"] for line in lines] == ["stale data"]
    assert lines[0]["ts"] == NOW.isoformat()


def test_the_webhook_url_is_a_secret_and_must_be_http() -> None:
    with pytest.raises(ValidationError, match="must be an http\\(s\\) URL") as err:
        NotifyConfig(webhook_url=SecretStr(f"ftp://example.com/{TOKEN}"))
    assert TOKEN not in str(err.value)
    cfg = OptionPilotConfig.model_validate({"notify": {"webhook_url": f"https://chat.example/{TOKEN}"}})
    assert TOKEN not in json.dumps(masked_dump(cfg), default=str)
    with pytest.raises(ValidationError):
        NotifyConfig.model_validate({"webhok_url": "https://x"})  # a wrong key is refused


class NullRecorder:
    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None: ...

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


def test_a_halted_account_alerts_the_operator_through_the_webhook(hook: Hook) -> None:
    hook.failures = 0
    clock = SimulatedClock(NOW)
    market = StaticMarket(clock, [Underlying("SPY", asset_class=AssetClass.ETF)])
    aid = AccountId("large")
    ids = IdMaker("n")
    broker = SimulatedBroker(aid, market=market, clock=clock, starting_cash=Decimal(1000), ids=ids)
    journal = Journal(NullRecorder())
    journal.begin(NOW)
    notifiers = Notifiers.from_config(NotifyConfig(webhook_url=SecretStr(hook.url)), clock)
    om = OrderManager(
        aid, broker, AccountBook(aid, "USD", Decimal(1000), NOW), ids, clock, journal, notifiers
    )
    om.halt("the broker holds 100 SPY the book does not")
    notifiers.close()
    [body] = hook.bodies
    assert body["level"] == "critical" and body["title"] == "large: reconciliation"
    assert "the broker holds 100 SPY the book does not" in body["text"]
