"""RSS and Atom feeds as a `NewsSource`: each feed polled when due by the clock, its latest items kept.

A feed that fails is counted and keeps its last good items; the other feeds go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from optionpilot.adapters.news.report import NewsReport
from optionpilot.adapters.news.times import require_utc
from optionpilot.adapters.rss.config import FeedConfig, RssConfig
from optionpilot.adapters.rss.errors import FeedError
from optionpilot.adapters.rss.fetching import FeedFetcher
from optionpilot.adapters.rss.parsing import parse_feed
from optionpilot.core.clock import Clock
from optionpilot.domain.market import NewsItem


class RssNewsSource:
    def __init__(self, cfg: RssConfig, clock: Clock, fetcher: FeedFetcher | None = None) -> None:
        self.cfg = cfg
        self._clock = clock
        self._fetcher = fetcher or FeedFetcher(cfg)
        self._interval = timedelta(seconds=cfg.poll_interval_seconds)
        self._items: dict[str, list[NewsItem]] = {f.url: [] for f in cfg.feeds}
        self._last_poll: dict[str, datetime] = {}
        self.report = NewsReport("rss")
        # The error of each feed's latest poll, or absent when it succeeded; for health checks.
        self.errors: dict[str, FeedError] = {}

    def poll(self, *, force: bool = False) -> int:
        """Fetch the feeds whose poll interval has passed (all when forced); returns how many were fetched."""
        now = require_utc(self._clock.now(), "clock time")
        polled = 0
        for feed in self.cfg.feeds:
            last = self._last_poll.get(feed.url)
            if not force and last is not None and now - last < self._interval:
                continue
            self._last_poll[feed.url] = now
            polled += 1
            try:
                self._poll_one(feed)
            except FeedError as exc:
                self.errors[feed.url] = exc
                self.report.fail(feed.url, str(exc))
            else:
                self.errors.pop(feed.url, None)
        return polled

    def _poll_one(self, feed: FeedConfig) -> None:
        fetched = self._fetcher.get(feed.url)
        if fetched.body is None:
            return
        try:
            parsed = parse_feed(
                fetched.body, feed, strict=self.cfg.strict_xml, content_type=fetched.content_type
            )
        except FeedError:
            # The server will answer 304 to the same validators; ask for the whole feed next time.
            self._fetcher.forget(feed.url)
            raise
        self.report.items_read += parsed.entries
        self.report.items_kept += len(parsed.items)
        for reason in parsed.skipped:
            self.report.skip(reason, feed.url)
        if parsed.recovered_from:
            self.report.skip(f"feed recovered from malformed XML ({parsed.recovered_from})", feed.url)
        self._items[feed.url] = parsed.items

    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]:
        """Items of every feed stamped in [since, until), after polling the feeds that are due."""
        since = require_utc(since, "since")
        until = require_utc(until, "until")
        self.poll()
        out = [n for items in self._items.values() for n in items if since <= n.ts < until]
        out.sort(key=lambda n: (n.ts, n.id))
        return out

    def close(self) -> None:
        self._fetcher.close()
