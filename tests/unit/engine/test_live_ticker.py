"""The live ticker: minute boundaries as the clock reaches them, catching up, and every way it ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from optionpilot.core.calendars import Session
from optionpilot.core.clock import SimulatedClock
from optionpilot.engine.live_ticker import LiveTicker

NY = ZoneInfo("America/New_York")
DAY1 = Session(
    date(2026, 3, 2), datetime(2026, 3, 2, 14, 30, tzinfo=UTC), datetime(2026, 3, 2, 21, tzinfo=UTC)
)
DAY2 = Session(
    date(2026, 3, 3), datetime(2026, 3, 3, 14, 30, tzinfo=UTC), datetime(2026, 3, 3, 21, tzinfo=UTC)
)


class FakeClock:
    """Broker time at `speed` per real second; sleeping moves it."""

    def __init__(self, start: datetime, speed: float = 60.0) -> None:
        self.t = start
        self.speed = speed
        self.slept = 0.0

    def now(self) -> datetime:
        return self.t

    def real_seconds_until(self, t: datetime) -> float:
        return max((t - self.t).total_seconds() / self.speed, 0.0)

    def sleep(self, s: float) -> None:
        self.slept += s
        self.t += timedelta(seconds=s * self.speed)


def ticker(clock: FakeClock, **kw: object) -> LiveTicker:
    return LiveTicker(clock, lambda now: [DAY1, DAY2], NY, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def test_one_session_from_before_the_open_ticks_every_minute_then_ends() -> None:
    clock = FakeClock(DAY1.open - timedelta(minutes=10))
    t = ticker(clock, max_sessions=1)
    ticks = list(t)
    assert len(ticks) == 390
    assert ticks[0].is_first and ticks[0].minute_index == 1 and ticks[0].since == DAY1.open
    assert ticks[-1].is_last and ticks[-1].now == DAY1.close
    assert all(b.since == a.now for a, b in pairwise(ticks))
    # It looked after each boundary, never before: the bars of the minute are complete.
    assert clock.now() >= DAY1.close
    assert t.ended_by == "1 session(s) closed"


def test_started_mid_session_it_looks_at_the_latest_minute_not_the_missed_ones() -> None:
    clock = FakeClock(DAY1.open + timedelta(minutes=100, seconds=30))
    ticks = list(ticker(clock, max_sessions=1))
    assert ticks[0].minute_index == 100 and ticks[0].is_first
    assert ticks[0].since == DAY1.open  # the first look reads what it missed since the open
    assert len(ticks) == 291


def test_a_slow_tick_skips_to_the_latest_minute_due() -> None:
    clock = FakeClock(DAY1.open)
    seen = []
    for tick in ticker(clock, max_sessions=1):
        seen.append(tick)
        if tick.minute_index == 5:
            clock.t += timedelta(minutes=3)  # the tick took three minutes
    five = next(i for i, t in enumerate(seen) if t.minute_index == 5)
    after = seen[five + 1]
    assert after.minute_index == 8 and after.since == seen[five].now


def test_after_the_close_it_waits_for_the_next_session() -> None:
    clock = FakeClock(DAY1.close + timedelta(minutes=5))
    ticks = list(ticker(clock, max_sessions=1))
    assert {t.session.day for t in ticks} == {DAY2.day}
    assert clock.slept > 0


def test_until_stops_at_the_exchanges_local_time_without_a_close() -> None:
    clock = FakeClock(DAY1.open - timedelta(minutes=1))
    t = ticker(clock, until=time(10, 0))
    ticks = list(t)
    assert ticks[-1].now == datetime(2026, 3, 2, 10, 0, tzinfo=NY)
    assert not any(x.is_last for x in ticks)
    assert t.ended_by == "--until 10:00"


def test_stop_ends_between_ticks_and_while_waiting() -> None:
    clock = FakeClock(DAY1.open - timedelta(minutes=1))
    count = 0

    def stop() -> bool:
        return count >= 3

    t = ticker(clock, stop=stop)
    for _ in t:
        count += 1
    assert count == 3 and t.ended_by == "stop"


def test_idle_is_called_while_waiting() -> None:
    clock = FakeClock(DAY1.open - timedelta(minutes=1), speed=1.0)
    calls: list[int] = []
    t = ticker(clock, max_sessions=1, idle=lambda: calls.append(1), idle_s=0.25)
    next(iter(t))
    assert len(calls) >= 4 * 60  # a minute of real waiting, polled every quarter second


def test_no_session_ahead_ends_with_the_reason() -> None:
    clock = FakeClock(DAY2.close + timedelta(hours=1))
    t = ticker(clock)
    assert list(t) == [] and "no session" in t.ended_by


def test_the_engine_clock_stands_still_during_a_tick_and_follows_between() -> None:
    clock = FakeClock(DAY1.open - timedelta(minutes=1))
    engine = SimulatedClock(clock.now())
    t = ticker(clock, max_sessions=1, engine_clock=engine)
    for tick in t:
        at_tick = engine.now()
        assert at_tick >= tick.now  # moved to the broker's time before the tick
        clock.t += timedelta(seconds=30)  # the tick's requests take time at the broker
        assert engine.now() == at_tick  # the engine's "now" does not move within a tick
        if tick.minute_index == 3:
            break
    t.catch_up()
    assert engine.now() == clock.now()
