"""Dhan's request limits over sliding windows of real, monotonic time.

Order writes count against 10 a second, 250 a minute, 1,000 an hour and 7,000 a day together; data
requests against 5 a second; market quotes against 1 a second; other reads against 20 a second. The
option chain also allows one request per 3 seconds for each underlying and expiry. A refused request is
not counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from enum import StrEnum

from optionpilot.adapters.dhan_stub.config import RateLimits
from optionpilot.core.clock import monotonic_seconds


class Kind(StrEnum):
    ORDERS = "orders"
    DATA = "data"
    QUOTE = "quote"
    NON_TRADING = "non-trading"


class Window:
    def __init__(self, limit: int, seconds: float, name: str) -> None:
        self.limit, self.seconds, self.name = limit, seconds, name
        self._times: deque[float] = deque()

    def full(self, now: float) -> bool:
        while self._times and now - self._times[0] >= self.seconds:
            self._times.popleft()
        return len(self._times) >= self.limit

    def add(self, now: float) -> None:
        self._times.append(now)


class Limiter:
    def __init__(self, limits: RateLimits, seconds: Callable[[], float] = monotonic_seconds) -> None:
        self._seconds = seconds
        self._chain_every = limits.option_chain_seconds
        self._windows: dict[Kind, list[Window]] = {
            Kind.ORDERS: [
                Window(limits.orders_per_second, 1.0, "orders per second"),
                Window(limits.orders_per_minute, 60.0, "orders per minute"),
                Window(limits.orders_per_hour, 3600.0, "orders per hour"),
                Window(limits.orders_per_day, 86_400.0, "orders per day"),
            ],
            Kind.DATA: [Window(limits.data_per_second, 1.0, "data requests per second")],
            Kind.QUOTE: [Window(limits.quote_per_second, 1.0, "market quote requests per second")],
            Kind.NON_TRADING: [Window(limits.non_trading_per_second, 1.0, "requests per second")],
        }
        self._chain_last: dict[Hashable, float] = {}
        self.refused = 0

    def allow(self, kind: Kind) -> str | None:
        """None when allowed (and counted), else which limit refused it."""
        now = self._seconds()
        for window in self._windows[kind]:
            if window.full(now):
                self.refused += 1
                return f"{window.limit} {window.name}"
        for window in self._windows[kind]:
            window.add(now)
        return None

    def allow_chain(self, key: Hashable) -> bool:
        now = self._seconds()
        last = self._chain_last.get(key)
        if last is not None and now - last < self._chain_every:
            self.refused += 1
            return False
        self._chain_last[key] = now
        return True
