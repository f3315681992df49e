from datetime import UTC, datetime, timedelta, timezone

import pytest

from optionpilot.core.clock import LiveClock, SimulatedClock
from optionpilot.core.errors import ClockError


def test_simulated_clock_moves_forward_only() -> None:
    start = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    clock = SimulatedClock(start)
    clock.advance_to(start + timedelta(minutes=1))
    assert clock.now() == start + timedelta(minutes=1)
    with pytest.raises(ClockError, match="cannot go back"):
        clock.advance_to(start)


def test_simulated_clock_refuses_naive_times_and_normalises_to_utc() -> None:
    with pytest.raises(ClockError, match="naive"):
        SimulatedClock(datetime(2026, 1, 5, 14, 30))
    ist = timezone(timedelta(hours=5, minutes=30))
    clock = SimulatedClock(datetime(2026, 1, 5, 9, 15, tzinfo=ist))
    assert clock.now().tzinfo is UTC
    assert clock.now().hour == 3 and clock.now().minute == 45


def test_live_clock_is_aware() -> None:
    assert LiveClock().now().tzinfo is not None


def test_accelerated_clock_runs_at_its_speed_on_the_monotonic_clock() -> None:
    from datetime import UTC, datetime, timedelta

    import pytest

    from optionpilot.core.clock import AcceleratedClock
    from optionpilot.core.errors import ClockError

    real = [100.0]
    start = datetime(2026, 10, 5, 13, 25, tzinfo=UTC)
    clock = AcceleratedClock(start, 60.0, seconds=lambda: real[0])
    assert clock.now() == start
    real[0] = 101.5
    assert clock.now() == start + timedelta(seconds=90)
    with pytest.raises(ClockError):
        AcceleratedClock(start, 0.0)
    with pytest.raises(ClockError):
        AcceleratedClock(datetime(2026, 10, 5), 1.0)
