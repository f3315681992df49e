"""Alerts POSTed as JSON to a webhook (Slack-compatible), from a worker thread so trading never waits.

`send` only queues. The worker posts each alert, retrying a failed one (`retries` more times, waiting
`backoff_s * 2**(n-1)` before retry n) and then drops it, counted and logged: an alert lost is said, never
raised into the engine. A full queue drops its oldest alert (counted). `close` gives the worker a bounded
time to deliver what is queued. The URL is never logged: it carries the webhook's token.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable

import httpx

from optionpilot.adapters.notify.alert import Alert
from optionpilot.adapters.notify.config import NotifyConfig

log = logging.getLogger(__name__)


class WebhookNotifier:
    def __init__(
        self,
        config: NotifyConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = config.webhook_url.get_secret_value()
        self._config = config
        self._sleep = sleep
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=config.queue_size)
        self._client = httpx.Client(timeout=config.timeout_s, transport=transport)
        self.delivered = 0
        self.dropped = 0  # given up after the retries, or pushed out of a full queue
        self._worker = threading.Thread(target=self._run, name="notify-webhook", daemon=True)
        self._worker.start()

    def send(self, alert: Alert) -> None:
        while True:
            try:
                self._queue.put_nowait(alert)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued within `timeout` seconds, then stop the worker."""
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._worker.join(timeout)
        self._client.close()

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                return
            self._deliver(alert)

    def _deliver(self, alert: Alert) -> None:
        tries = self._config.retries + 1
        problem = ""
        for n in range(tries):
            if n:
                self._sleep(self._config.backoff_s * 2 ** (n - 1))
            try:
                response = self._client.post(self._url, json=alert.as_json())
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
                continue
            if response.status_code < 300:
                self.delivered += 1
                return
            problem = f"HTTP {response.status_code}"
        self.dropped += 1
        log.error("notify: webhook gave up on %r after %d tries (%s)", alert.title, tries, problem)
