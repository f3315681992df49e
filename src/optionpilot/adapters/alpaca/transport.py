"""Every request to Alpaca: counted against the key's budget, with a timeout, never retried by the SDK.

alpaca-py's REST clients share nothing and retry 429/504 themselves (POST /v2/orders included) with no
HTTP timeout. `attach` mounts a `requests` adapter on a client's session that waits for the shared budget
before each request, sets the timeout, and pauses everyone after a 429; and it turns the SDK's retries off.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from optionpilot.core.clock import monotonic_seconds

WINDOW_SECONDS = 60.0
DEFAULT_PAUSE_SECONDS = 5.0


class RequestBudget:
    """At most `per_minute` requests in any sliding minute of monotonic time, shared by threads.

    `acquire` waits for a slot; `pause` (after a 429) holds every request until the pause ends.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        seconds: Callable[[], float] = monotonic_seconds,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.per_minute = per_minute
        self._seconds = seconds
        self._sleep = sleep
        self._times: deque[float] = deque()
        self._paused_until = 0.0
        self._rate: Callable[[], float] = lambda: 1.0
        self._lock = threading.Condition()
        self.sent = 0
        self.waited_s = 0.0
        self.throttled = 0  # 429s received
        self.most_in_a_minute = 0

    def count_in(self, seconds: Callable[[], float], rate: Callable[[], float]) -> None:
        """Count the minute on another clock: the broker's. Alpaca's limit is per minute of its time, which
        is real time at Alpaca and the accelerated time of a rehearsal on the stub; `rate` (that clock's
        seconds per real second) turns its waits into real ones."""
        with self._lock:
            self._seconds = seconds
            self._rate = rate
            self._times.clear()
            self._paused_until = 0.0

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = self._seconds()
                while self._times and now - self._times[0] >= WINDOW_SECONDS:
                    self._times.popleft()
                wait = self._paused_until - now
                if len(self._times) >= self.per_minute:
                    wait = max(wait, self._times[0] + WINDOW_SECONDS - now)
                if wait <= 0:
                    break
                real = wait / max(self._rate(), 1e-9)
                self.waited_s += real
                if self._sleep is not None:
                    self._sleep(real)
                else:
                    self._lock.wait(real)
            self._times.append(now)
            self.sent += 1
            self.most_in_a_minute = max(self.most_in_a_minute, len(self._times))

    def pause(self, seconds: float) -> None:
        with self._lock:
            self.throttled += 1
            self._paused_until = max(self._paused_until, self._seconds() + seconds)

    def stats(self) -> Mapping[str, float]:
        return {
            "sent": self.sent,
            "waited_s": round(self.waited_s, 3),
            "throttled": self.throttled,
            "most_in_a_minute": self.most_in_a_minute,
            "per_minute": self.per_minute,
        }


def retry_after_seconds(response: requests.Response) -> float:
    """How long Alpaca asks us to wait: Retry-After, else until X-RateLimit-Reset (epoch seconds, which
    we cannot compare without the wall clock, so a fixed pause stands in)."""
    value = response.headers.get("Retry-After")
    try:
        return max(float(value), 0.5) if value is not None else DEFAULT_PAUSE_SECONDS
    except ValueError:
        return DEFAULT_PAUSE_SECONDS


class _DroppedConnectionRetry(Retry):
    """Retries a dropped connection only, never a read that timed out: a silent server is an error to
    report at once, not to wait for twice."""

    def increment(  # type: ignore[override]
        self, method: str | None = None, url: str | None = None, *args: Any, **kwargs: Any
    ) -> Retry:
        error = kwargs.get("error")
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, *args, **kwargs)


class BudgetedAdapter(HTTPAdapter):
    def __init__(self, budget: RequestBudget, timeout_s: float) -> None:
        # A read is tried again once when the connection dropped (a kept-alive connection the server had
        # just closed): safe for GETs. Writes never: a POST repeated here could place an order twice.
        super().__init__(
            max_retries=_DroppedConnectionRetry(
                total=1, connect=1, read=1, status=0, other=0, allowed_methods=frozenset({"GET"}),
                raise_on_status=False,
            )
        )  # fmt: skip
        self.budget = budget
        self.timeout_s = timeout_s

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout_s
        self.budget.acquire()
        response = super().send(request, **kwargs)
        if response.status_code == 429:
            self.budget.pause(retry_after_seconds(response))
        return response


def attach(client: Any, budget: RequestBudget, timeout_s: float) -> Any:
    """Route an alpaca-py REST client's requests through the budget with a timeout; no SDK retries."""
    # urllib3 logs each retry of a dropped connection as a warning; what fails in the end is ours to say.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    client._retry = 0
    adapter = BudgetedAdapter(budget, timeout_s)
    session: requests.Session = client._session
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return client
