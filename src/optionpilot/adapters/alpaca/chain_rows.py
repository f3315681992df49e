"""Alpaca option chain snapshots (`/v1beta1/options/snapshots/{underlying}`) into a `ChainSnapshot`.

A row is kept only when its numbers can be trusted: no quote, no ask, a crossed or negative quote, an
unreadable symbol or time are skipped and counted by reason, never turned into a price. A zero bid with a
positive ask stays: the domain writes "no bid" as 0, and a deep out-of-the-money option is quoted so.
Contracts whose OCC root is not the underlying (adjusted deliverables, other classes) are left out too:
a `ChainSnapshot` row cannot say which deliverable it is.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

from optionpilot.adapters.alpaca.bar_store import parse_time
from optionpilot.core.errors import DataError
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import Underlying
from optionpilot.domain.symbols import parse_occ

GREEKS = ("delta", "gamma", "theta", "vega", "rho")


class QuoteSkip:
    """Reasons a row is left out; strings, so they count and print plainly."""

    NO_QUOTE = "no quote"
    NO_ASK = "no ask (zero or missing)"
    CROSSED = "crossed quote (bid above ask)"
    AFTER_CLOCK = "quote stamped after the clock"
    OTHER_ROOT = "OCC root differs from the underlying"


@dataclass(frozen=True, slots=True)
class ParsedChain:
    """A chain as Alpaca gave it at `ts`: the snapshot, Alpaca's IV and Greeks by row (NaN where none)."""

    snapshot: ChainSnapshot
    iv: np.ndarray
    greeks: Mapping[str, np.ndarray]
    skipped: Counter[str]
    first_problem: str | None  # one line naming the first malformed row, for the log


class _Bad(ValueError):
    """A malformed row: the message is its reason."""


def _number(doc: Mapping[str, Any], key: str, what: str) -> float:
    value = doc.get(key)
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"{what} is not a number")
    x = float(value)
    if not math.isfinite(x) or x < 0:
        raise _Bad(f"{what} is negative or not finite")
    return x


def _optional(doc: object, key: str) -> float:
    if not isinstance(doc, Mapping):
        return math.nan
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        return math.nan
    return float(value)


@dataclass(slots=True)
class _Columns:
    expiry: list[date]
    strike: list[float]
    is_call: list[bool]
    bid: list[float]
    ask: list[float]
    bid_size: list[int]
    ask_size: list[int]
    volume: list[int]
    quote_ts: list[int]
    iv: list[float]
    greeks: dict[str, list[float]]


def parse_chain(
    underlying: Underlying,
    raw: object,
    *,
    now: datetime,
    spot: float,
    open_interest: Mapping[str, int],
    latest: datetime | None = None,
) -> ParsedChain:
    """Every trustworthy row of a snapshots answer, ordered by expiry, right (calls first) and strike.

    `latest`: the last quote time that is still the present (default `now`): a live clock kept between
    reads of the broker's trails it a little, and a quote stamped in that gap is not from the future."""
    skipped: Counter[str] = Counter()
    first: str | None = None
    cols = _Columns([], [], [], [], [], [], [], [], [], [], {g: [] for g in GREEKS})
    rows = raw if isinstance(raw, Mapping) else {}
    if not isinstance(raw, Mapping):
        skipped["snapshots answer not an object"] += 1
    keys: list[str] = []
    for symbol, doc in rows.items():
        try:
            reason = _row(underlying, str(symbol), doc, latest or now, cols)
        except _Bad as exc:
            reason = f"malformed: {exc}"
            if first is None:
                first = f"{symbol}: {exc}"
        except DataError as exc:
            reason = "malformed: not an OCC symbol"
            if first is None:
                first = str(exc)
        if reason is not None:
            skipped[reason] += 1
        else:
            keys.append(str(symbol))
    n = len(keys)
    order = (
        np.lexsort(
            (
                np.asarray(cols.strike, dtype=np.float64),
                ~np.asarray(cols.is_call, dtype=bool),
                _days(cols.expiry),
            )
        )
        if n
        else np.zeros(0, dtype=np.int64)
    )
    snap = ChainSnapshot(
        underlying=underlying,
        ts=now,
        spot=spot,
        expiry=np.asarray(cols.expiry, dtype="datetime64[D]")[order],
        strike=np.asarray(cols.strike, dtype=np.float64)[order],
        is_call=np.asarray(cols.is_call, dtype=bool)[order],
        bid=np.asarray(cols.bid, dtype=np.float64)[order],
        ask=np.asarray(cols.ask, dtype=np.float64)[order],
        bid_size=np.asarray(cols.bid_size, dtype=np.int64)[order],
        ask_size=np.asarray(cols.ask_size, dtype=np.int64)[order],
        volume=np.asarray(cols.volume, dtype=np.int64)[order],
        open_interest=np.asarray([open_interest.get(k, 0) for k in keys], dtype=np.int64)[order],
        quote_ts=np.asarray(cols.quote_ts, dtype=np.int64)[order],
    )
    greeks = {g: np.asarray(cols.greeks[g], dtype=np.float64)[order] for g in GREEKS}
    return ParsedChain(snap, np.asarray(cols.iv, dtype=np.float64)[order], greeks, skipped, first)


def _days(expiry: list[date]) -> np.ndarray:
    return np.asarray(expiry, dtype="datetime64[D]").astype(np.int64)


def _row(underlying: Underlying, symbol: str, doc: object, now: datetime, cols: _Columns) -> str | None:
    """Append one row to `cols`; the reason it is skipped otherwise (a `_Bad` when it is malformed)."""
    contract = parse_occ(symbol, multiplier=underlying.option_multiplier)
    if contract.underlying != underlying.symbol:
        return QuoteSkip.OTHER_ROOT
    if not isinstance(doc, Mapping):
        raise _Bad("snapshot is not an object")
    quote = doc.get("latestQuote")
    if quote is None:
        return QuoteSkip.NO_QUOTE
    if not isinstance(quote, Mapping):
        raise _Bad("latestQuote is not an object")
    bid, ask = _number(quote, "bp", "bid"), _number(quote, "ap", "ask")
    bid_size, ask_size = _number(quote, "bs", "bid size"), _number(quote, "as", "ask size")
    if bid_size != int(bid_size) or ask_size != int(ask_size):
        raise _Bad("quote size is not a whole number")
    try:
        ts = parse_time(quote.get("t"))
    except ValueError as exc:
        raise _Bad(f"quote time unreadable ({exc})") from None
    if ask <= 0:
        return QuoteSkip.NO_ASK
    if bid > ask:
        return QuoteSkip.CROSSED
    if ts > now:
        return QuoteSkip.AFTER_CLOCK
    cols.expiry.append(contract.expiry)
    cols.strike.append(float(contract.strike))
    cols.is_call.append(contract.is_call)
    cols.bid.append(bid)
    cols.ask.append(ask)
    cols.bid_size.append(int(bid_size))
    cols.ask_size.append(int(ask_size))
    daily = doc.get("dailyBar")
    volume = _optional(daily, "v")
    cols.volume.append(int(volume) if math.isfinite(volume) and volume >= 0 else 0)
    cols.quote_ts.append(int(ts.timestamp()))
    cols.iv.append(_optional(doc, "impliedVolatility"))
    greeks = doc.get("greeks")
    for g in GREEKS:
        cols.greeks[g].append(_optional(greeks, g))
    return None
