"""Bars as fetched from Alpaca, kept per symbol so each is asked for once: minute bars and daily bars.

Alpaca answers bars as `{"SPY": [{"t": ..., "o": ..., ...}, ...]}`; a row it cannot read is skipped and
counted, never guessed. Times are held as int epoch seconds of the bar's start.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from optionpilot.domain.market import Bar, BarSeries

OHLCV = tuple[float, float, float, float, float]


def parse_time(text: object) -> datetime:
    """RFC 3339 as Alpaca writes it (`Z` or an offset, up to nanoseconds); ValueError otherwise."""
    if not isinstance(text, str) or not text:
        raise ValueError("no time")
    s = text.replace("Z", "+00:00")
    head, dot, rest = s.partition(".")
    if dot:
        # Python reads at most microseconds; Alpaca may send nanoseconds.
        digits = len(rest) - len(rest.lstrip("0123456789"))
        s = f"{head}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    t = datetime.fromisoformat(s)
    if t.tzinfo is None:
        raise ValueError("time without a zone")
    return t.astimezone(UTC)


def _ohlcv(row: Mapping[str, Any]) -> OHLCV:
    values = tuple(float(row[k]) for k in ("o", "h", "l", "c", "v"))
    o, h, lo, c, v = values
    if not all(math.isfinite(x) for x in values) or min(o, h, lo, c) <= 0 or v < 0:
        raise ValueError("non-positive or non-finite price")
    if not lo <= min(o, c) or not max(o, c) <= h:
        raise ValueError("open or close outside the bar's range")
    return o, h, lo, c, v


def read_bars(raw: object, skipped: Counter[str]) -> Iterable[tuple[str, int, OHLCV]]:
    """(symbol, start seconds, ohlcv) for every readable row of a bars answer."""
    if not isinstance(raw, Mapping):
        skipped["bars answer not an object"] += 1
        return
    for symbol, rows in raw.items():
        if not isinstance(rows, list):
            skipped["bars of a symbol not a list"] += 1
            continue
        for row in rows:
            try:
                start = parse_time(row["t"])
                yield str(symbol), int(start.timestamp()), _ohlcv(row)
            except (KeyError, TypeError, ValueError) as exc:
                skipped[f"bar row unreadable ({exc})"[:80]] += 1


class MinuteBars:
    """Complete minute bars by symbol. `covered` is the span [from, to) of starts already asked for."""

    def __init__(self, symbols: Sequence[str]) -> None:
        self._order = {s: i for i, s in enumerate(symbols)}
        self._starts: dict[str, list[int]] = {s: [] for s in symbols}
        self._values: dict[str, dict[int, OHLCV]] = {s: {} for s in symbols}
        self.covered_from: int | None = None
        self.covered_to: int | None = None

    def clear(self) -> None:
        for s in self._starts:
            self._starts[s] = []
            self._values[s] = {}
        self.covered_from = self.covered_to = None

    def add(self, symbol: str, start_s: int, bar: OHLCV) -> None:
        values = self._values.get(symbol)
        if values is None:
            return
        if start_s not in values:
            bisect.insort(self._starts[symbol], start_s)
        values[start_s] = bar

    def cover(self, start_s: int, end_s: int) -> None:
        lo, hi = self.covered_from, self.covered_to
        self.covered_from = start_s if lo is None else min(lo, start_s)
        self.covered_to = end_s if hi is None else max(hi, end_s)

    def between(self, start_s: float, end_s: float) -> list[Bar]:
        """Bars whose start is in [start_s, end_s) and that end by end_s, by start then symbol order."""
        out: list[tuple[int, int, Bar]] = []
        for symbol, starts in self._starts.items():
            i = bisect.bisect_left(starts, math.ceil(start_s))
            values = self._values[symbol]
            while i < len(starts) and starts[i] + 60 <= end_s:
                t = starts[i]
                o, h, lo, c, v = values[t]
                out.append(
                    (t, self._order[symbol], Bar(symbol, datetime.fromtimestamp(t, UTC), o, h, lo, c, v))
                )
                i += 1
        out.sort(key=lambda x: (x[0], x[1]))
        return [b for _, _, b in out]

    def count_before(self, symbol: str, end_s: float) -> int:
        """How many held bars of `symbol` end by end_s."""
        return bisect.bisect_right(self._starts.get(symbol, []), end_s - 60)

    def last(self, symbol: str, end_s: float, count: int) -> BarSeries:
        starts = self._starts.get(symbol, [])
        stop = bisect.bisect_right(starts, end_s - 60)
        chosen = starts[max(stop - max(count, 0), 0) : stop]
        values = self._values.get(symbol, {})
        rows = np.array([values[t] for t in chosen], dtype=np.float64).reshape(len(chosen), 5)
        return BarSeries(
            symbol,
            np.array(chosen, dtype=np.int64),
            rows[:, 0].copy(),
            rows[:, 1].copy(),
            rows[:, 2].copy(),
            rows[:, 3].copy(),
            rows[:, 4].copy(),
        )

    def last_close(self, symbol: str, end_s: float) -> float | None:
        starts = self._starts.get(symbol, [])
        stop = bisect.bisect_right(starts, end_s - 60)
        return self._values[symbol][starts[stop - 1]][3] if stop else None


class DailyBars:
    """Daily bars by symbol and session day; `days` are the sessions already asked for (all symbols)."""

    def __init__(self, symbols: Sequence[str]) -> None:
        self._values: dict[str, dict[date, OHLCV]] = {s: {} for s in symbols}
        self.days: set[date] = set()

    def add(self, symbol: str, day: date, bar: OHLCV) -> None:
        if symbol in self._values:
            self._values[symbol][day] = bar

    def series(self, symbol: str, days: Sequence[date], open_s: Mapping[date, int]) -> BarSeries:
        values = self._values.get(symbol, {})
        held = [d for d in days if d in values]
        rows = np.array([values[d] for d in held], dtype=np.float64).reshape(len(held), 5)
        return BarSeries(
            symbol,
            np.array([open_s[d] for d in held], dtype=np.int64),
            rows[:, 0].copy(),
            rows[:, 1].copy(),
            rows[:, 2].copy(),
            rows[:, 3].copy(),
            rows[:, 4].copy(),
        )
