from datetime import UTC, date, datetime

import pytest

from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.errors import ConfigError


def test_nyse_holidays_and_early_close() -> None:
    cal = calendar_for(Market.US)
    days = [s.day for s in cal.sessions(date(2026, 11, 25), date(2026, 11, 30))]
    assert date(2026, 11, 26) not in days  # Thanksgiving
    friday = cal.session(date(2026, 11, 27))
    assert friday.is_early_close and friday.close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    regular = cal.session(date(2026, 11, 25))
    assert regular.minutes == 390 and regular.open == datetime(2026, 11, 25, 14, 30, tzinfo=UTC)


def test_session_minutes_are_bar_starts() -> None:
    cal = calendar_for(Market.US)
    s = cal.session(date(2026, 11, 25))
    minutes = cal.session_minutes(s)
    assert len(minutes) == 390
    assert str(minutes[0]) == "2026-11-25T14:30:00"
    assert str(minutes[-1]) == "2026-11-25T20:59:00"


def test_nse_session_is_in_india_time() -> None:
    cal = calendar_for(Market.IN)
    s = cal.session(date(2025, 7, 17))
    assert s.open.astimezone(cal.zone).hour == 9 and s.open.astimezone(cal.zone).minute == 15
    assert s.minutes == 375


def test_not_a_session_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="2026-11-26 is not a XNYS"):
        calendar_for(Market.US).session(date(2026, 11, 26))


def test_sessions_ending_counts_back() -> None:
    sessions = calendar_for(Market.US).sessions_ending(date(2026, 10, 30), 20)
    assert len(sessions) == 20 and sessions[-1].day == date(2026, 10, 30)
