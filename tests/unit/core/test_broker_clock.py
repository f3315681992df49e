"""The broker clock: the broker's time between reads, at the rate the reads show, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optionpilot.core.clock import BrokerClock
from optionpilot.core.errors import ClockError

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


class Broker:
    """A broker clock at `speed` broker seconds per real second, read on a fake monotonic clock."""

    def __init__(self, speed: float, lag_s: float = 0.0) -> None:
        self.real = 0.0
        self.speed = speed
        self.lag_s = lag_s
        self.reads = 0

    def seconds(self) -> float:
        return self.real

    def sleep(self, s: float) -> None:
        self.real += s

    def fetch(self) -> datetime:
        self.reads += 1
        self.real += self.lag_s  # the request takes time; the broker answers from its middle
        t = T0 + timedelta(seconds=(self.real - self.lag_s / 2) * self.speed)
        return t

    def clock(self, **kw: float) -> BrokerClock:
        return BrokerClock(self.fetch, seconds=self.seconds, sleep=self.sleep, **kw)


@pytest.mark.parametrize("speed", [1.0, 60.0, 600.0])
def test_it_runs_at_the_brokers_rate(speed: float) -> None:
    b = Broker(speed, lag_s=0.01)
    clock = b.clock()
    assert clock.rate == pytest.approx(speed, rel=1e-6)
    b.real += 10.0
    expected = T0 + timedelta(seconds=b.real * speed)
    assert abs((clock.now() - expected).total_seconds()) < 0.02 * speed


def test_a_real_broker_with_latency_noise_runs_at_one() -> None:
    b = Broker(1.01)  # 1% off is latency, not an accelerated clock
    assert b.clock().rate == 1.0


def test_it_reads_the_broker_again_after_resync_seconds() -> None:
    b = Broker(60.0)
    clock = b.clock(resync_s=5.0)
    reads = b.reads
    b.real += 4.0
    clock.now()
    assert b.reads == reads
    b.real += 2.0
    clock.now()
    assert b.reads == reads + 1


def test_it_never_goes_backwards_when_the_broker_is_behind() -> None:
    b = Broker(1.0)
    clock = b.clock(resync_s=1.0)
    b.real += 0.9
    before = clock.now()
    b.speed = 0.5  # the broker's clock slows down: its next read is behind what we said
    b.real += 0.2
    assert clock.now() >= before


def test_real_seconds_until_converts_by_the_rate() -> None:
    b = Broker(60.0)
    clock = b.clock()
    target = clock.now() + timedelta(minutes=1)
    assert clock.real_seconds_until(target) == pytest.approx(1.0, rel=1e-3)
    assert clock.real_seconds_until(clock.now() - timedelta(hours=1)) == 0.0


def test_a_naive_broker_time_is_refused() -> None:
    with pytest.raises(ClockError, match="naive"):
        BrokerClock(lambda: datetime(2026, 3, 2, 15, 0), sleep=lambda s: None)
