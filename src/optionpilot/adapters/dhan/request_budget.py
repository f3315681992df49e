"""Dhan's request limits, kept on our side so the broker never has to refuse us.

Order writes share 10 a second, 250 a minute, 1,000 an hour and 7,000 a day; data requests 5 a second;
the option chain one request per 3 seconds for each underlying and expiry. `acquire` waits for a slot in
every window of its kind; after DH-904 (Dhan's "too many requests") every request of that kind backs
off, doubling up to a ceiling, until one goes through.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from enum import StrEnum

from optionpilot.core.clock import monotonic_seconds

BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0


class Kind(StrEnum):
    ORDERS = "orders"
    DATA = "data"
    NON_TRADING = "non-trading"


LIMITS: dict[Kind, tuple[tuple[int, float], ...]] = {
    Kind.ORDERS: ((10, 1.0), (250, 60.0), (1000, 3600.0), (7000, 86_400.0)),
    Kind.DATA: ((5, 1.0),),
    Kind.NON_TRADING: ((20, 1.0),),
}
CHAIN_EVERY_S = 3.0
MIN_WAIT_S = 1e-6


class DhanBudget:
    def __init__(
        self,
        *,
        seconds: Callable[[], float] = monotonic_seconds,
        sleep: Callable[[float], None] | None = None,
        limits: dict[Kind, tuple[tuple[int, float], ...]] | None = None,
        chain_every_s: float = CHAIN_EVERY_S,
    ) -> None:
        self._seconds = seconds
        self._sleep = sleep
        self._limits = limits or LIMITS
        self._times: dict[Kind, deque[float]] = {k: deque() for k in self._limits}
        self._chain_every = chain_every_s
        self._chain_last: dict[Hashable, float] = {}
        self._paused_until: dict[Kind, float] = {k: 0.0 for k in self._limits}
        self._backoff: dict[Kind, float] = {k: 0.0 for k in self._limits}
        self._lock = threading.Condition()
        self.sent: dict[Kind, int] = {k: 0 for k in self._limits}
        self.waited_s = 0.0
        self.backoffs = 0

    def _wait(self, seconds: float) -> None:
        self.waited_s += seconds
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            self._lock.wait(seconds)

    def acquire(self, kind: Kind, chain_key: Hashable | None = None) -> None:
        """Wait until a request of `kind` (and, for the option chain, of `chain_key`) is within limits."""
        longest = max(seconds for _, seconds in self._limits[kind])
        with self._lock:
            while True:
                now = self._seconds()
                times = self._times[kind]
                while times and now - times[0] >= longest:
                    times.popleft()
                wait = self._paused_until[kind] - now
                for limit, seconds in self._limits[kind]:
                    inside = [t for t in times if now - t < seconds]
                    if len(inside) >= limit:
                        # The same subtraction as the test above, so a full window always waits; at
                        # least a microsecond, so a wait below the clock's resolution still moves it.
                        wait = max(wait, seconds - (now - inside[-limit]), MIN_WAIT_S)
                if chain_key is not None and chain_key in self._chain_last:
                    since = now - self._chain_last[chain_key]
                    if since < self._chain_every:
                        wait = max(wait, self._chain_every - since, MIN_WAIT_S)
                if wait <= 0:
                    break
                self._wait(wait)
            times.append(now)
            if chain_key is not None:
                self._chain_last[chain_key] = now
            self.sent[kind] += 1

    def throttled(self, kind: Kind) -> float:
        """Dhan said DH-904: hold every request of this kind for a growing pause; returns the pause."""
        with self._lock:
            pause = min(max(self._backoff[kind] * 2, BACKOFF_FIRST_S), BACKOFF_MAX_S)
            self._backoff[kind] = pause
            self._paused_until[kind] = max(self._paused_until[kind], self._seconds() + pause)
            self.backoffs += 1
            return pause

    def succeeded(self, kind: Kind) -> None:
        with self._lock:
            self._backoff[kind] = 0.0
