"""Several news sources as one: merged, tagged with tickers, deduplicated and sorted by time.

A source that fails (a feed down, the broker refusing) is counted and skipped; the others go on.
A look-ahead is never swallowed: it is a bug in the caller, not a bad source.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from optionpilot.adapters.news.config import MergeConfig
from optionpilot.adapters.news.dedup import Deduplicator
from optionpilot.adapters.news.report import NewsReport
from optionpilot.adapters.news.tagging import TickerTagger
from optionpilot.adapters.news.times import require_utc
from optionpilot.core.errors import BrokerError, DataError
from optionpilot.domain.market import NewsItem
from optionpilot.ports.news import NewsSource


class MergedNewsSource:
    """A `NewsSource` over named sources; each story is returned once, by the first call that sees it."""

    def __init__(self, sources: Sequence[tuple[str, NewsSource]], cfg: MergeConfig | None = None) -> None:
        names = [name for name, _ in sources]
        if len(set(names)) != len(names):
            raise ValueError(f"news source names must be unique, got {names}")
        self.cfg = cfg or MergeConfig()
        self.sources = list(sources)
        self.tagger = TickerTagger(self.cfg.tagging)
        self.dedup = Deduplicator(self.cfg.dedup)
        self.report = NewsReport("news")
        self._late = timedelta(minutes=self.cfg.late_minutes)

    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]:
        """Stories stamped in [since - late, until) not returned before, earliest first."""
        since = require_utc(since, "since")
        until = require_utc(until, "until")
        start = since - self._late
        batch: list[NewsItem] = []
        for name, source in self.sources:
            try:
                got = source.fetch(start, until)
            except (DataError, BrokerError) as exc:
                self.report.fail(name, str(exc))
                continue
            self.report.items_read += len(got)
            for item in got:
                # A source may hand back more than asked; nothing stamped at or after `until` passes.
                if not start <= item.ts < until:
                    self.report.skip("outside the requested window", name)
                    continue
                batch.append(self.tagger.tag_item(item))
        before = self.dedup.duplicates
        new = self.dedup.unique(batch)
        if self.dedup.duplicates > before:
            self.report.skipped["duplicate"] += self.dedup.duplicates - before
        self.report.items_kept += len(new)
        return new
