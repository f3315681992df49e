"""Tying a news item to its tickers: what the source said, cashtags, symbols as words, company names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from optionpilot.adapters.news.config import TaggingConfig
from optionpilot.domain.market import NewsItem

_CASHTAG = re.compile(r"(?<![\w$])\$([A-Z]{1,5}(?:\.[A-Z]{1,2})?)(?![A-Za-z0-9])")
_LOWER = re.compile(r"[a-z]")


class TagReason(StrEnum):
    SOURCE = "given by the source"
    CASHTAG = "cashtag"
    SYMBOL = "symbol as a whole word"
    ALIAS = "company name"


@dataclass(frozen=True, slots=True)
class Tag:
    ticker: str
    reason: TagReason
    evidence: str


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "Bank of America" wins over a shorter name inside it.
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


class TickerTagger:
    def __init__(self, cfg: TaggingConfig | None = None) -> None:
        self.cfg = cfg or TaggingConfig()
        symbols = [s for s in self.cfg.universe if s not in set(self.cfg.stop_symbols)]
        self._symbols = (
            re.compile(rf"(?<![\w$.\-])({_alternation(symbols)})(?![\w]|\.[A-Za-z])") if symbols else None
        )
        self._alias_of = {name.casefold(): t for name, t in self.cfg.aliases.items()}
        self._aliases = (
            re.compile(rf"(?<!\w)({_alternation(self.cfg.aliases)})(?!\w)", re.IGNORECASE)
            if self.cfg.aliases
            else None
        )
        self._universe = frozenset(self.cfg.universe)

    def tags(self, text: str, given: Iterable[str] = ()) -> list[Tag]:
        """Every ticker once, with the first reason found: given by the source, cashtag, symbol, name."""
        found: dict[str, Tag] = {}

        def add(ticker: str, reason: TagReason, evidence: str) -> None:
            ticker = ticker.strip().upper()
            if not ticker or ticker in found:
                return
            if self.cfg.universe_only and self._universe and ticker not in self._universe:
                return
            found[ticker] = Tag(ticker, reason, evidence)

        for t in given:
            add(t, TagReason.SOURCE, t)
        if self.cfg.cashtags:
            for m in _CASHTAG.finditer(text):
                add(m.group(1), TagReason.CASHTAG, m.group(0))
        # A headline in capitals gives every word the look of a ticker; only cashtags and names count there.
        if self._symbols is not None and _LOWER.search(text):
            for m in self._symbols.finditer(text):
                add(m.group(1), TagReason.SYMBOL, m.group(1))
        if self._aliases is not None:
            for m in self._aliases.finditer(text):
                # A company name is a proper noun: "Apple" and "APPLE" count, "apple pie" does not.
                if m.group(1)[0].isupper():
                    add(self._alias_of[m.group(1).casefold()], TagReason.ALIAS, m.group(1))
        return list(found.values())

    def tickers(self, text: str, given: Iterable[str] = ()) -> tuple[str, ...]:
        return tuple(t.ticker for t in self.tags(text, given))

    def tag_item(self, item: NewsItem) -> NewsItem:
        """The item with its tickers completed from its headline (and body, when configured)."""
        text = f"{item.headline}\n{item.body}" if self.cfg.scan_body else item.headline
        tickers = self.tickers(text, item.tickers)
        return item if tickers == item.tickers else replace(item, tickers=tickers)
