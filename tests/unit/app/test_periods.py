"""`backtest --start/--end`: dates become exchange sessions; a period outside the data is one line."""

from __future__ import annotations

from datetime import date

import pytest

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.periods import Period, parse_day, session_picker, simulator_period
from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.errors import ConfigError


def test_a_range_becomes_its_sessions_skipping_the_holiday() -> None:
    # 2026-01-19 is Martin Luther King Jr. Day: the NYSE is closed.
    cfg = simulator_period(OptionPilotConfig(), Period(date(2026, 1, 15), date(2026, 1, 21)))
    assert cfg.market.end == date(2026, 1, 21)
    assert cfg.market.sessions == 4  # 15, 16, 20, 21


def test_start_with_days_counts_sessions_forwards() -> None:
    cfg = simulator_period(OptionPilotConfig(), Period(date(2026, 1, 16), None, 3))
    assert (cfg.market.end, cfg.market.sessions) == (date(2026, 1, 21), 3)


def test_end_alone_keeps_the_configured_count() -> None:
    cfg = simulator_period(OptionPilotConfig(), Period(None, date(2026, 1, 21)))
    assert (cfg.market.end, cfg.market.sessions) == (date(2026, 1, 21), 20)


def test_a_weekend_is_no_session() -> None:
    with pytest.raises(ConfigError, match=r"period 2026-01-17..2026-01-18: no XNYS trading session"):
        simulator_period(OptionPilotConfig(), Period(date(2026, 1, 17), date(2026, 1, 18)))


def test_beyond_the_calendar_names_its_range() -> None:
    last = calendar_for(Market.US).last_day
    with pytest.raises(ConfigError, match=rf"calendar has sessions from .* to {last}"):
        simulator_period(OptionPilotConfig(), Period(date(last.year + 3, 1, 5), None))


def test_bad_combinations_are_refused() -> None:
    with pytest.raises(ConfigError, match="is after --end"):
        simulator_period(OptionPilotConfig(), Period(date(2026, 2, 1), date(2026, 1, 1)))
    with pytest.raises(ConfigError, match="give two of the three"):
        simulator_period(OptionPilotConfig(), Period(date(2026, 1, 1), date(2026, 2, 1), 3))
    with pytest.raises(ConfigError, match="not a date"):
        parse_day("05/01/2026", "--start")


def test_the_store_picker_cuts_its_sessions() -> None:
    cal = calendar_for(Market.US)
    held = cal.sessions(date(2021, 3, 1), date(2021, 3, 31))
    pick = session_picker(Period(date(2021, 3, 8), date(2021, 3, 12)))
    assert pick is not None
    assert [s.day.day for s in pick(held)] == [8, 9, 10, 11, 12]
    last_two = session_picker(Period(days=2))
    assert last_two is not None and [s.day.day for s in last_two(held)] == [30, 31]
    assert session_picker(Period()) is None
