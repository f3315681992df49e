"""The injected clock. Only `LiveClock` may read the wall clock; everything else asks a Clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from optionpilot.core.errors import ClockError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


def _require_aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ClockError(f"naive datetime {t.isoformat()} given to the clock; use an aware UTC time")
    return t.astimezone(UTC)


class SimulatedClock:
    """A clock a backtest drives forward; it refuses to move backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = _require_aware(start)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, t: datetime) -> None:
        t = _require_aware(t)
        if t < self._now:
            raise ClockError(f"clock cannot go back from {self._now.isoformat()} to {t.isoformat()}")
        self._now = t


class LiveClock:
    """The wall clock, for paper and live trading."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def monotonic_seconds() -> float:
    """Seconds on a clock that never jumps (not the wall clock): for rates and pacing, never for dates."""
    return time.monotonic()


class AcceleratedClock:
    """Simulated time that runs `speed` simulated seconds per real second from `start`.

    It measures elapsed real time on the monotonic clock, so it never reads the wall clock and never
    jumps when the machine's time is set. The stub broker and rehearsals run a trading day on it.
    """

    def __init__(
        self, start: datetime, speed: float, *, seconds: Callable[[], float] = monotonic_seconds
    ) -> None:
        if not speed > 0:
            raise ClockError(f"clock speed must be positive, got {speed}")
        self._start = _require_aware(start)
        self._speed = float(speed)
        self._seconds = seconds
        self._origin = seconds()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(self._seconds() - self._origin) * self._speed)
