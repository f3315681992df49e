"""The paced ticker releases each tick on time, and keeps the operator's poll going while it waits."""

from __future__ import annotations

from collections.abc import Iterator

from optionpilot.app.run_loop import PacedTicker, PollTimer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


class Three:
    total = 3

    def __iter__(self) -> Iterator[int]:
        yield from (1, 2, 3)


def test_ticks_come_a_pace_apart_and_idle_runs_while_waiting() -> None:
    clock = FakeTime()
    idles: list[float] = []
    ticker = PacedTicker(
        Three(),  # type: ignore[arg-type]
        1.0,
        idle=lambda: idles.append(clock.now),
        idle_s=0.25,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    released = []
    for tick in ticker:
        released.append((tick, clock.now))
    assert released == [(1, 0.0), (2, 1.0), (3, 2.0)]
    assert len(idles) == 8 and idles[:4] == [0.0, 0.25, 0.5, 0.75]  # four polls a second between ticks


def test_a_slow_tick_is_not_made_up_by_rushing_the_next() -> None:
    clock = FakeTime()
    ticker = PacedTicker(Three(), 1.0, sleep=clock.sleep, monotonic=clock.monotonic)  # type: ignore[arg-type]
    released = []
    for tick in ticker:
        released.append(clock.now)
        if tick == 1:
            clock.now += 3.0  # the first tick took 3 s of work
    assert released == [0.0, 3.0, 4.0]


def test_the_poll_timer_says_yes_once_per_interval() -> None:
    clock = FakeTime()
    timer = PollTimer(0.5, clock.monotonic)
    seen = []
    for _ in range(6):
        seen.append(timer())
        clock.now += 0.2
    assert seen == [True, False, False, True, False, False]
    assert all(PollTimer(0, clock.monotonic)() for _ in range(3))
