"""GET /v2/clock and GET /v2/calendar from the simulator's exchange calendar and the stub's clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from optionpilot.adapters.alpaca_stub.market_data import Params, parse_day
from optionpilot.core.calendars import Session, TradingCalendar


def _next_session(cal: TradingCalendar, now: datetime) -> Session:
    day = cal.local_date(now)
    if cal.is_session(day) and now < cal.session(day).open:
        return cal.session(day)
    return cal.session(cal.next_session(day))


def clock_doc(cal: TradingCalendar, now: datetime) -> dict[str, Any]:
    day = cal.local_date(now)
    today = cal.session(day) if cal.is_session(day) else None
    is_open = today is not None and today.open <= now < today.close
    following = _next_session(cal, now)
    next_close = today.close if is_open and today is not None else following.close
    # Alpaca writes the clock in New York time with its offset.
    return {
        "timestamp": now.astimezone(cal.zone).isoformat(),
        "is_open": is_open,
        "next_open": following.open.astimezone(cal.zone).isoformat(),
        "next_close": next_close.astimezone(cal.zone).isoformat(),
    }


def calendar_docs(cal: TradingCalendar, now: datetime, params: Params) -> list[dict[str, Any]]:
    today = cal.local_date(now)
    start: date = parse_day(params, "start") or today - timedelta(days=30)
    end: date = parse_day(params, "end") or today + timedelta(days=30)
    docs = []
    for s in cal.sessions(start, end) if start <= end else []:
        docs.append(
            {
                "date": s.day.isoformat(),
                "open": f"{s.open.astimezone(cal.zone):%H:%M}",
                "close": f"{s.close.astimezone(cal.zone):%H:%M}",
                "session_open": "0400",
                "session_close": "2000",
                "settlement_date": cal.next_session(s.day).isoformat(),
            }
        )
    return docs
