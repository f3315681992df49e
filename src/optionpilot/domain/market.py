"""Market records: bars, quotes and news items, as the engine sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import numpy as np

BAR_LENGTH = timedelta(minutes=1)


class Bar(NamedTuple):
    """One bar stamped with its start; it is known only once `start + length` has passed.

    A named tuple, not a dataclass: a backtest makes one per symbol per minute, and a tuple is both
    immutable and several times cheaper to build than a frozen dataclass.
    """

    symbol: str
    start: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    length: timedelta = BAR_LENGTH

    @property
    def end(self) -> datetime:
        return self.start + self.length


@dataclass(frozen=True, slots=True)
class BarSeries:
    """Bars of one symbol as parallel float64 arrays (times as int64 seconds since the epoch, UTC)."""

    symbol: str
    start_s: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.close.shape[0])


class QuoteProblem:
    """Why a quote cannot be traded on; strings so they store and read plainly."""

    CROSSED = "crossed quote (bid above ask)"
    ONE_SIDED = "one-sided quote (no bid or no ask)"
    STALE = "stale quote"
    MISSING = "no quote"


@dataclass(frozen=True, slots=True)
class Quote:
    bid: Decimal
    ask: Decimal
    bid_size: int
    ask_size: int
    ts: datetime

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    @property
    def spread(self) -> Decimal:
        return self.ask - self.bid

    @property
    def spread_pct_of_mid(self) -> float:
        """Spread over the mid (seed 003: measured on the mid, not the ask)."""
        mid = self.mid
        return float(self.spread / mid) if mid > 0 else float("inf")

    def problem(self, now: datetime, max_age: timedelta) -> str | None:
        """Why an order must not fill on this quote, or None when it is good to trade."""
        if self.bid <= 0 or self.ask <= 0 or self.bid_size <= 0 or self.ask_size <= 0:
            return QuoteProblem.ONE_SIDED
        if self.bid > self.ask:
            return QuoteProblem.CROSSED
        if now - self.ts > max_age:
            return f"{QuoteProblem.STALE} (age {int((now - self.ts).total_seconds())}s)"
        return None


@dataclass(frozen=True, slots=True)
class NewsItem:
    id: str
    ts: datetime
    headline: str
    source: str
    tickers: tuple[str, ...] = field(default_factory=tuple)
    body: str = ""
