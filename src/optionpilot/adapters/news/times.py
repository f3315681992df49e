"""Timestamps of news as aware UTC datetimes; a time without a zone is refused, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime

from optionpilot.core.errors import ClockError


class TimestampError(ValueError):
    """A timestamp that is missing, unreadable or has no zone; `reason` says which, without the text."""

    def __init__(self, reason: str, text: str = "") -> None:
        super().__init__(f"{reason}: {text!r}" if text else reason)
        self.reason = reason


def parse_utc(text: str) -> datetime:
    """ISO-8601 with a zone (`Z` or an offset) to aware UTC."""
    text = text.strip()
    if not text:
        raise TimestampError("missing timestamp")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise TimestampError("unreadable timestamp", text) from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise TimestampError("timestamp has no zone", text)
    return t.astimezone(UTC)


def require_utc(t: datetime, what: str) -> datetime:
    """`t` in UTC; a naive `t` is refused, named by `what`."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ClockError(f"{what} must be timezone-aware, got {t.isoformat()}")
    return t.astimezone(UTC)
