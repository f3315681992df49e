"""A timestamped news file for backtests (CSV or JSON Lines), served point-in-time against a clock.

Columns (CSV header) or keys (JSON Lines): `ts` ISO-8601 with a zone, `headline`; optional `tickers`
(a list, or symbols separated by spaces, commas, semicolons or `|`), `source`, `body`, `id`.
A bad row is skipped and reported with its line number; the rest of the file is served.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from optionpilot.adapters.news.config import TICKER_PATTERN, NewsFileConfig
from optionpilot.adapters.news.report import NewsReport
from optionpilot.adapters.news.times import TimestampError, parse_utc, require_utc
from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.domain.market import NewsItem

REQUIRED = ("ts", "headline")
OPTIONAL = ("tickers", "source", "body", "id")
_SPLIT = re.compile(r"[\s,;|]+")
_TICKER_RE = re.compile(TICKER_PATTERN)


class RowError(ValueError):
    """A row that cannot be used; the message is the reason it is counted under."""


def _open(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _layout(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last == ".csv":
        return "csv"
    if last in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise DataError("unknown news file type: expected .csv or .jsonl (optionally .gz)", source=str(path))


def _tickers(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        raw = [t for t in _SPLIT.split(value) if t]
    elif isinstance(value, list) and all(isinstance(t, str) for t in value):
        raw = [t.strip() for t in value if t.strip()]
    else:
        raise RowError("tickers not a list of symbols")
    out = tuple(dict.fromkeys(t.upper() for t in raw))
    if any(not _TICKER_RE.match(t) for t in out):
        raise RowError("bad ticker symbol")
    return out


def _text(row: Mapping[str, object], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{key} not text")
    return value.strip()


def _item(row: Mapping[str, object], default_source: str) -> NewsItem:
    try:
        ts = parse_utc(_text(row, "ts"))
    except TimestampError as exc:
        raise RowError(exc.reason) from None
    headline = " ".join(_text(row, "headline").split())
    if not headline:
        raise RowError("empty headline")
    tickers = _tickers(row.get("tickers"))
    item_id = _text(row, "id")
    if not item_id:
        # Stable across runs and reloads, so a story's id does not depend on its line.
        digest = hashlib.sha1(f"{ts.isoformat()}\n{headline}".encode(), usedforsecurity=False)
        item_id = f"file:{digest.hexdigest()[:16]}"
    return NewsItem(
        id=item_id,
        ts=ts,
        headline=headline,
        source=_text(row, "source") or default_source,
        tickers=tickers,
        body=_text(row, "body"),
    )


def _csv_rows(fh: TextIO, source: str) -> Iterator[tuple[int, Mapping[str, object] | str]]:
    reader = csv.reader(fh)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise DataError("empty file (no header)", source=source) from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DataError(f"not a news file: no column {', '.join(missing)}", source=source, line=1)
    for rec in reader:
        if not rec or all(not f.strip() for f in rec):
            continue
        if len(rec) != len(header):
            yield reader.line_num, "wrong number of fields"
            continue
        yield reader.line_num, dict(zip(header, rec, strict=True))


def _jsonl_rows(fh: TextIO) -> Iterator[tuple[int, Mapping[str, object] | str]]:
    for line, text in enumerate(fh, start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError:
            yield line, "not JSON"
            continue
        if not isinstance(row, dict):
            yield line, "not a JSON object"
            continue
        yield line, row


def read_news_file(path: Path, cfg: NewsFileConfig | None = None) -> tuple[list[NewsItem], NewsReport]:
    """Every good row of `path`, sorted by time, and a report of the rows skipped with their lines."""
    cfg = cfg or NewsFileConfig()
    layout = _layout(path)
    report = NewsReport(str(path))
    items: list[NewsItem] = []
    try:
        with _open(path) as fh:
            rows = _csv_rows(fh, str(path)) if layout == "csv" else _jsonl_rows(fh)
            for line, row in rows:
                report.items_read += 1
                if isinstance(row, str):
                    report.skip(row, str(path), line)
                    continue
                try:
                    items.append(_item(row, cfg.default_source))
                except RowError as exc:
                    report.skip(str(exc), str(path), line)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error) as exc:
        raise DataError(f"unreadable news file: {exc}", source=str(path)) from None
    bad = report.items_read - len(items)
    if report.items_read and bad / report.items_read > cfg.max_bad_share:
        raise DataError(
            f"{bad} of {report.items_read} rows are bad, more than {cfg.max_bad_share:.0%}: "
            + report.summary(),
            source=str(path),
        )
    items.sort(key=lambda n: n.ts)
    report.items_kept = len(items)
    return items, report


class NewsFileSource:
    """A `NewsSource` over a news file; it never serves an item stamped at or after `until`.

    Given a clock, it refuses to be asked past the clock's time: a backtest cannot read ahead.
    """

    def __init__(self, items: Sequence[NewsItem], report: NewsReport, clock: Clock | None = None) -> None:
        self._items = sorted(items, key=lambda n: n.ts)
        self._ts = [n.ts for n in self._items]
        self.report = report
        self._clock = clock

    @classmethod
    def open(
        cls, path: Path, clock: Clock | None = None, cfg: NewsFileConfig | None = None
    ) -> NewsFileSource:
        items, report = read_news_file(path, cfg)
        return cls(items, report, clock)

    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]:
        """Items stamped in [since, until)."""
        since = require_utc(since, "since")
        until = require_utc(until, "until")
        if self._clock is not None:
            now = self._clock.now()
            if until > now:
                raise LookAheadError(
                    f"news file {self.report.source}: asked for news until {until.isoformat()}, "
                    f"after the clock ({now.isoformat()})"
                )
        if until <= since:
            return []
        return self._items[bisect_left(self._ts, since) : bisect_left(self._ts, until)]

    def __len__(self) -> int:
        return len(self._items)
