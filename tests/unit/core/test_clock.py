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
