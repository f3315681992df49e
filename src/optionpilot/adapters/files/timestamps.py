"""Vendor timestamps to UTC, which session part a minute falls in, and a check that a file's zone is right.

Naive times are the exchange's local time (the data sets say so); a time with an offset is converted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import numpy as np

from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.errors import DataError


class SessionPart(StrEnum):
    PRE = "pre"
    REGULAR = "regular"
    POST = "post"
    CLOSED = "closed"  # a day the exchange did not trade


def to_utc(text: str, market: Market) -> datetime:
    """A vendor timestamp as aware UTC; raises ValueError on garbage."""
    t = datetime.fromisoformat(text.strip())
    if t.tzinfo is None:
        t = t.replace(tzinfo=calendar_for(market).zone)
    return t.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(t: datetime) -> int:
    """Exact epoch microseconds of an aware time (also before 1970, where int(timestamp) would round up)."""
    return (t - _EPOCH) // timedelta(microseconds=1)


def session_parts(start_us: np.ndarray, market: Market) -> np.ndarray:
    """The session part of each minute-bar start (epoch microseconds UTC), as an array of strings."""
    cal = calendar_for(market)
    out = np.full(start_us.shape, SessionPart.CLOSED.value, dtype=object)
    if start_us.size == 0:
        return out
    for day, mask in _local_days(start_us, market).items():
        if not cal.is_session(day):
            continue
        s = cal.session(day)
        o, c = epoch_us(s.open), epoch_us(s.close)
        sel = start_us[mask]
        part = np.where(
            sel < o,
            SessionPart.PRE.value,
            np.where(sel < c, SessionPart.REGULAR.value, SessionPart.POST.value),
        )
        out[mask] = part
    return out


def _local_days(start_us: np.ndarray, market: Market) -> dict[date, np.ndarray]:
    cal = calendar_for(market)
    # Local midnight boundaries differ by DST, so map each distinct UTC hour to its local date once.
    hours = start_us // 3_600_000_000
    uniq, inverse = np.unique(hours, return_inverse=True)
    local = np.array(
        [cal.local_date(datetime.fromtimestamp(int(h) * 3600, UTC)).toordinal() for h in uniq], dtype=np.int64
    )[inverse]
    return {date.fromordinal(int(d)): local == d for d in np.unique(local)}


def local_days(start_us: np.ndarray, market: Market) -> np.ndarray:
    """The exchange-local date of each time (epoch microseconds UTC) as datetime64[D]."""
    out = np.zeros(start_us.shape, dtype="datetime64[D]")
    for day, mask in _local_days(start_us, market).items():
        out[mask] = np.datetime64(day, "D")
    return out


def check_zone(
    start_us: np.ndarray,
    lines: np.ndarray,
    market: Market,
    *,
    hours: tuple[time, time] | None,
    min_share: float,
    source: str,
) -> None:
    """Refuse a file whose times on trading days mostly fall outside trading hours: a wrong time zone.

    `hours` is the extended-hours window (stock bars); None means the regular session (options). A file
    stamped in UTC but read as New York time puts its rows hours after the close.
    """
    parts = session_parts(start_us, market)
    on_days = parts != SessionPart.CLOSED.value
    n = int(np.count_nonzero(on_days))
    if n == 0:
        return
    if hours is None:
        inside = parts == SessionPart.REGULAR.value
        window = "the regular session"
    else:
        zone = calendar_for(market).zone
        minute = np.array([_minute_of_day(int(s), zone) for s in start_us.tolist()], dtype=np.int64)
        lo, hi = hours[0].hour * 60 + hours[0].minute, hours[1].hour * 60 + hours[1].minute
        inside = (minute >= lo) & (minute < hi)
        window = f"trading hours {hours[0]:%H:%M}-{hours[1]:%H:%M}"
    share = int(np.count_nonzero(inside & on_days)) / n
    if share < min_share:
        first = int(lines[np.flatnonzero(on_days & ~inside)[0]])
        name = calendar_for(market).info.timezone
        raise DataError(
            f"only {share:.0%} of the rows fall in {window} when read as {name} time "
            f"(expected at least {min_share:.0%}): the file looks stamped in another time zone; "
            f"this is the first row outside",
            source=source,
            line=first,
        )


def _minute_of_day(us: int, zone: ZoneInfo) -> int:
    t = datetime.fromtimestamp(us // 1_000_000, UTC).astimezone(zone)
    return t.hour * 60 + t.minute
