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


class BrokerClock:
    """The broker's time, kept in step locally: the broker's clock is read every `resync_s` real seconds
    and moved on in between by the monotonic clock at the rate the reads show (1.0 at a real broker, the
    stub's `--speed` on a rehearsal), so the same code runs a real account and an accelerated one.

    It never goes backwards: a read behind what it already said holds the time until the broker catches up.
    A rate within 2% of 1 is taken as 1 (a real broker's clock runs at real speed; the rest is latency).
    """

    def __init__(
        self,
        fetch: Callable[[], datetime],
        *,
        resync_s: float = 15.0,
        calibrate_s: float = 0.5,
        seconds: Callable[[], float] = monotonic_seconds,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._fetch = fetch
        self._seconds = seconds
        self.resync_s = resync_s
        self._origin = self._read()
        sleep(calibrate_s)
        self._anchor = self._read()
        self._rate = 1.0
        self._estimate_rate()
        self._last = self._anchor[1]

    def _read(self) -> tuple[float, datetime]:
        before = self._seconds()
        broker = _require_aware(self._fetch())
        # The broker's time is most likely from the middle of the request.
        return (before + self._seconds()) / 2, broker

    def _estimate_rate(self) -> None:
        (m0, b0), (m1, b1) = self._origin, self._anchor
        if m1 - m0 <= 0:
            return
        rate = (b1 - b0).total_seconds() / (m1 - m0)
        if rate > 0:
            self._rate = 1.0 if abs(rate - 1.0) < 0.02 else rate

    @property
    def rate(self) -> float:
        """Broker seconds per real second."""
        return self._rate

    def resync(self) -> None:
        self._anchor = self._read()
        self._estimate_rate()

    def now(self) -> datetime:
        if self._seconds() - self._anchor[0] >= self.resync_s:
            self.resync()
        return self.kept_time()

    def kept_time(self) -> datetime:
        """The time as kept locally, without asking the broker (for what the broker's answers depend on:
        the request budget counts in it, and a read inside a read would never end)."""
        m = self._seconds()
        m0, b0 = self._anchor
        t = b0 + timedelta(seconds=(m - m0) * self._rate)
        self._last = max(self._last, t)
        return self._last

    def real_seconds_until(self, t: datetime) -> float:
        """How long to wait, in real seconds, until the broker's clock reads `t` (0 when it has)."""
        return max((t - self.now()).total_seconds() / self._rate, 0.0)
