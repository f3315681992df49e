"""The injected clock. Only `LiveClock` may read the wall clock; everything else asks a Clock."""

from __future__ import annotations

from datetime import UTC, datetime
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
