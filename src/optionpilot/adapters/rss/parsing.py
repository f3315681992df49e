"""A feed's bytes (RSS 0.9x/1.0/2.0 or Atom) to news items with feedparser; bad entries skipped, counted."""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from xml.sax import SAXParseException

import feedparser  # type: ignore[import-untyped]

from optionpilot.adapters.rss.config import FeedConfig
from optionpilot.adapters.rss.errors import malformed
from optionpilot.domain.market import NewsItem

_TAG = re.compile(r"<[^>]*>")
# feedparser's notices about encodings and content types: the entries are still whole.
_BENIGN = (feedparser.ThingsNobodyCaresAboutButMe,)


class EntrySkip:
    """Why an entry is left out; strings so they count and print plainly."""

    NO_DATE = "entry without a date"
    BAD_DATE = "entry with an unreadable date"
    NO_TITLE = "entry without a title"


@dataclass
class ParsedFeed:
    url: str
    title: str
    items: list[NewsItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    # Set when feedparser recovered entries from broken XML and strict mode was off.
    recovered_from: str = ""

    @property
    def entries(self) -> int:
        return len(self.items) + len(self.skipped)


def plain_text(text: str) -> str:
    """Markup removed, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _when(entry: Any) -> datetime | str:
    """The entry's publication time (RSS pubDate, Atom published, else Atom updated) or why there is none."""
    for key in ("published", "updated", "created"):
        # Plain dict lookups: FeedParserDict.get maps some keys onto others (with a deprecation warning).
        parsed = dict.get(entry, f"{key}_parsed")
        if isinstance(parsed, time.struct_time):
            # feedparser normalises every date to UTC as a struct_time.
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    if any(dict.get(entry, key) for key in ("published", "updated", "created")):
        return EntrySkip.BAD_DATE
    return EntrySkip.NO_DATE


def _problem(exc: BaseException) -> str:
    if isinstance(exc, SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    return f"{type(exc).__name__}: {exc}"


def parse_feed(body: bytes, feed: FeedConfig, *, strict: bool = True, content_type: str = "") -> ParsedFeed:
    """News items of one feed document; raises `FeedError` naming the URL when the document is not a feed."""
    url = feed.url
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes or str: feedparser treats those as a URL or a file name to open.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    entries: list[Any] = list(parsed.get("entries") or [])
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(exc, _BENIGN):
        exc = None
    if exc is not None and (strict or not entries):
        raise malformed(url, _problem(exc))
    if not parsed.get("version") and not entries:
        raise malformed(url, "not an RSS or Atom document")
    meta = parsed.get("feed") or {}
    title = plain_text(str(meta.get("title") or ""))
    out = ParsedFeed(url, title, recovered_from=_problem(exc) if exc is not None else "")
    source = feed.name or title or urlsplit(url).netloc
    for entry in entries:
        headline = plain_text(str(entry.get("title") or ""))
        if not headline:
            out.skipped.append(EntrySkip.NO_TITLE)
            continue
        when = _when(entry)
        if isinstance(when, str):
            out.skipped.append(when)
            continue
        key = str(entry.get("id") or entry.get("link") or "")
        if not key:
            # No guid and no link: the text and time are all that name this entry.
            digest = hashlib.sha1(f"{when.isoformat()}\n{headline}".encode(), usedforsecurity=False)
            key = digest.hexdigest()[:16]
        out.items.append(
            NewsItem(
                id=f"rss:{key}",
                ts=when,
                headline=headline,
                source=source,
                tickers=feed.tickers,
                body=plain_text(str(entry.get("summary") or "")),
            )
        )
    return out
