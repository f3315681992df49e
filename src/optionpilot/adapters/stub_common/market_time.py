"""A stub's time: the simulator's clock pulled up to an accelerated clock, and its exchange sessions.

Requests and the matching loop both call `now()` first, which moves the market's clock up to the
accelerated clock, so every answer and every fill is as of one consistent instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.core.calendars import Session, TradingCalendar
from optionpilot.core.clock import Clock, SimulatedClock


class MarketTime:
    def __init__(self, accelerated: Clock) -> None:
        self._accelerated = accelerated
        self.clock = SimulatedClock(accelerated.now())

    def now(self) -> datetime:
        t = self._accelerated.now()
        if t > self.clock.now():
            self.clock.advance_to(t)
        return self.clock.now()


def session_open_at(calendar: TradingCalendar, t: datetime) -> Session | None:
    day = calendar.local_date(t)
    if not calendar.is_session(day):
        return None
    s = calendar.session(day)
    return s if s.open <= t < s.close else None


def trading_day(calendar: TradingCalendar, t: datetime) -> date:
    """The session a day order placed at `t` belongs to: today's until its close, else the next."""
    day = calendar.local_date(t)
    if calendar.is_session(day) and t < calendar.session(day).close:
        return day
    return calendar.next_session(day)


def replayed_sessions(market: SimMarketConfig, seed: int) -> list[Session]:
    """The replayed sessions of a stub's market (a market built on a still clock, only to ask)."""
    # An instant before any simulated minute session, to ask the market where it starts.
    before = datetime.combine(market.end, time(0), UTC) - timedelta(days=3 * 365)
    probe = SimulatedMarket(market, SimulatedClock(before), seed)
    return [probe.calendar.session(day) for day in probe.sessions()]
