"""One story once: the same id, or the same normalised headline within a window, across sources and polls."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from optionpilot.adapters.news.config import DedupConfig
from optionpilot.domain.market import NewsItem

_NOT_WORD = re.compile(r"[\W_]+")


def normalise_headline(text: str) -> str:
    """Case-folded NFKC text without punctuation or extra spaces, so two wires' copies compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOT_WORD.sub(" ", folded).strip()


class Deduplicator:
    """Remembers what it has let through; `unique` keeps the first copy of each story, earliest first."""

    def __init__(self, cfg: DedupConfig | None = None) -> None:
        self.cfg = cfg or DedupConfig()
        self._window = timedelta(minutes=self.cfg.headline_window_minutes)
        self._id_memory = timedelta(hours=self.cfg.id_memory_hours)
        self._ids: dict[str, datetime] = {}
        self._headlines: dict[str, datetime] = {}
        self._newest: datetime | None = None
        self.duplicates = 0

    def unique(self, items: Iterable[NewsItem]) -> list[NewsItem]:
        """New stories of `items` by (ts, id); a copy within the batch lends its tickers to the first."""
        kept: list[NewsItem] = []
        slot_by_id: dict[str, int] = {}
        slot_by_headline: dict[str, int] = {}
        for item in sorted(items, key=lambda n: (n.ts, n.id)):
            key = normalise_headline(item.headline)
            slot = slot_by_id.get(item.id)
            if slot is None and key:
                slot = slot_by_headline.get(key)
                if slot is not None and abs(item.ts - kept[slot].ts) > self._window:
                    slot = None
            if slot is not None:
                self.duplicates += 1
                first = kept[slot]
                extra = tuple(t for t in item.tickers if t not in first.tickers)
                if extra:
                    kept[slot] = replace(first, tickers=first.tickers + extra)
                continue
            if self._seen(item, key):
                self.duplicates += 1
                continue
            slot_by_id[item.id] = len(kept)
            if key:
                slot_by_headline[key] = len(kept)
            kept.append(item)
        for item in kept:
            self._remember(item, normalise_headline(item.headline))
        self._forget_old()
        return kept

    def _seen(self, item: NewsItem, key: str) -> bool:
        if item.id in self._ids:
            return True
        first = self._headlines.get(key) if key else None
        return first is not None and abs(item.ts - first) <= self._window

    def _remember(self, item: NewsItem, key: str) -> None:
        self._ids.setdefault(item.id, item.ts)
        if key:
            first = self._headlines.get(key)
            if first is None or abs(item.ts - first) > self._window:
                self._headlines[key] = item.ts
        if self._newest is None or item.ts > self._newest:
            self._newest = item.ts

    def _forget_old(self) -> None:
        if self._newest is None:
            return
        id_cut = self._newest - self._id_memory
        # A headline is only compared within its window, on either side of the newest item seen.
        headline_cut = self._newest - 2 * self._window
        self._ids = {k: t for k, t in self._ids.items() if t >= id_cut}
        self._headlines = {k: t for k, t in self._headlines.items() if t >= headline_cut}

    def __len__(self) -> int:
        return len(self._ids)
