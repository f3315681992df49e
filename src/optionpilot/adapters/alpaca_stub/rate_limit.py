"""Alpaca's request limit (200 a minute per key) over a sliding minute of the stub's own time."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from optionpilot.core.clock import monotonic_seconds

WINDOW_SECONDS = 60.0


class RateLimiter:
    def __init__(self, per_minute: int, seconds: Callable[[], float] = monotonic_seconds) -> None:
        self.limit = per_minute
        self._seconds = seconds
        self._times: deque[float] = deque()
        self.refused = 0

    def allow(self) -> tuple[bool, int]:
        """Whether one more request is allowed now, and how many remain in the window after it."""
        now = self._seconds()
        while self._times and now - self._times[0] >= WINDOW_SECONDS:
            self._times.popleft()
        if len(self._times) >= self.limit:
            self.refused += 1
            return False, 0
        self._times.append(now)
        return True, self.limit - len(self._times)
