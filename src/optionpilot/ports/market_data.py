"""The market-data port: everything as of the clock, never after it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

import numpy as np

from optionpilot.core.calendars import TradingCalendar
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Underlying
from optionpilot.domain.market import Bar, BarSeries, NewsItem, Quote


class MarketData(Protocol):
    """Implementations raise LookAheadError when asked about a time after the clock."""

    @property
    def calendar(self) -> TradingCalendar: ...

    def underlyings(self) -> Sequence[Underlying]: ...

    def sessions(self) -> Sequence[date]:
        """The sessions this source can replay (a live source: the current one)."""
        ...

    def bars_between(self, start: datetime, end: datetime) -> Sequence[Bar]:
        """Every 1-minute bar of every underlying whose start is in [start, end), all complete by `end`.

        This is how the runner walks time: it asks for the bars that completed since its last tick.
        """
        ...

    def history(self, symbol: str, end: datetime, count: int) -> BarSeries:
        """The last `count` complete minute bars of `symbol` ending at or before `end` (split-adjusted)."""
        ...

    def daily_history(self, symbol: str, end: date, count: int) -> BarSeries:
        """The last `count` daily bars of complete sessions before `end`."""
        ...

    def chain(self, symbol: str, *, min_dte: int = 0, max_dte: int = 60) -> ChainSnapshot:
        """The option chain of `symbol` at the clock, for expiries within [min_dte, max_dte] days."""
        ...

    def quote(self, contract: OptionContract) -> Quote | None:
        """The latest quote of one contract at the clock, or None when it is not quoted."""
        ...

    def spot(self, symbol: str) -> float:
        """The underlying's last traded price at the clock."""
        ...

    def risk_free_rate(self, day: date, tenor_days: int) -> float: ...

    def dividend_yield(self, symbol: str) -> float: ...

    def news_between(self, start: datetime, end: datetime) -> Sequence[NewsItem]:
        """News published in [start, end); `end` must not be after the clock."""
        ...

    def volatility_index(self, day: date) -> float | None:
        """The market's volatility index (VIX in the US, India VIX) at the close of session `day`, in
        points; None where the source has none. Asking before that close is looking ahead."""
        ...

    def split_ratio(self, symbol: str, day: date) -> float:
        """Old price over new price of a split effective at the open of `day` (7.0 for a 7-for-1), else 1.0.

        Splits are announced before they happen, so knowing today's at the open is not looking ahead.
        """
        ...

    def atm_iv_history(self, symbol: str, end: date, count: int) -> np.ndarray:
        """Daily 30-day at-the-money implied volatility of the `count` sessions before `end` (float64)."""
        ...
