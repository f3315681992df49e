"""The broker's clock and calendar: `GET /v2/clock` for the time, `GET /v2/calendar` for the sessions.

Live trading asks the broker, not the machine, what time it is and when the market opens: the same code
then runs on a real account and on the stub's accelerated day, and the broker's holidays and early closes
are the ones that count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.models import Calendar, Clock
from alpaca.trading.requests import GetCalendarRequest

from optionpilot.core.calendars import Session
from optionpilot.core.errors import BrokerError

NEW_YORK = ZoneInfo("America/New_York")  # Alpaca's calendar is in the exchange's time, without a zone
CALENDAR_DAYS_AHEAD = 10


def _ask(what: str, call: Callable[[], object]) -> object:
    """The broker's answer, or a one-line BrokerError naming the request."""
    try:
        return call()
    except APIError as exc:
        raise BrokerError(f"{what}: HTTP {exc.status_code}: {exc}", broker="alpaca") from None
    except requests.ConnectionError:
        raise BrokerError(
            f"{what}: cannot connect (is the URL right, is it up?)", broker="alpaca", retryable=True
        ) from None
    except requests.RequestException as exc:
        raise BrokerError(f"{what}: {type(exc).__name__}", broker="alpaca", retryable=True) from None


def broker_time(client: TradingClient) -> Callable[[], datetime]:
    """The broker's current time (aware UTC), for `core.clock.BrokerClock`."""

    def fetch() -> datetime:
        clock = _ask("GET /v2/clock", client.get_clock)
        if not isinstance(clock, Clock):
            raise BrokerError("GET /v2/clock: not a clock", broker="alpaca")
        return clock.timestamp.astimezone(UTC)

    return fetch


def to_session(day: Calendar) -> Session:
    return Session(
        day.date,
        day.open.replace(tzinfo=NEW_YORK).astimezone(UTC),
        day.close.replace(tzinfo=NEW_YORK).astimezone(UTC),
    )


class BrokerSessions:
    """The sessions from the broker's calendar around a time, asked again once a day has passed."""

    def __init__(self, client: TradingClient) -> None:
        self._client = client
        self._asked_for: date | None = None
        self._sessions: list[Session] = []

    def __call__(self, now: datetime) -> Sequence[Session]:
        today = now.astimezone(NEW_YORK).date()
        if self._asked_for != today:
            request = GetCalendarRequest(start=today, end=today + timedelta(days=CALENDAR_DAYS_AHEAD))
            days = _ask("GET /v2/calendar", lambda: self._client.get_calendar(request))
            if not isinstance(days, list):
                raise BrokerError("GET /v2/calendar: not a list of days", broker="alpaca")
            self._sessions = [to_session(d) for d in days if isinstance(d, Calendar)]
            self._asked_for = today
        return list(self._sessions)
