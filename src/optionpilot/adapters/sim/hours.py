"""The simulated broker's hours: which session a time is in, where an order works, when options expire.

Sessions are looked up once a day and kept: the broker asks for them at every poll and every quote.
"""

from __future__ import annotations

from datetime import date, datetime, time

from optionpilot.core.calendars import Session, TradingCalendar


class BrokerHours:
    def __init__(self, calendar: TradingCalendar, *, queue_outside_hours: bool) -> None:
        self._calendar = calendar
        self._queue_outside_hours = queue_outside_hours
        self._sessions: dict[date, Session | None] = {}
        self._expiry_closes: dict[date, datetime] = {}

    def session_of(self, t: datetime) -> Session | None:
        day = self._calendar.local_date(t)
        if day not in self._sessions:
            self._sessions[day] = self._calendar.session(day) if self._calendar.is_session(day) else None
        return self._sessions[day]

    def trading_session(self, t: datetime) -> Session | None:
        """The session an order sent at `t` works in: the current one, or with queueing the next one."""
        session = self.session_of(t)
        if session is not None and session.open <= t < session.close:
            return session
        if not self._queue_outside_hours:
            return None
        day = self._calendar.local_date(t)
        if session is None or t >= session.close:
            day = self._calendar.next_session(day)
        return self.session_of(datetime.combine(day, time(12), self._calendar.zone))

    def in_session(self, t: datetime) -> bool:
        """A quote belongs to a session when stamped after its open and no later than its close."""
        s = self.session_of(t)
        return s is not None and s.open < t <= s.close

    def expiry_close(self, expiry: date) -> datetime:
        close = self._expiry_closes.get(expiry)
        if close is None:
            # Options expiring on a holiday expire at the close of the session before it.
            day = expiry if self._calendar.is_session(expiry) else self._calendar.previous_session(expiry)
            close = self._expiry_closes[expiry] = self._calendar.session(day).close
        return close
