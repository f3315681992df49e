"""Realized volatility estimators from daily OHLC bars, annualised."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from optionpilot.core.errors import DataError
from optionpilot.pricing.black_scholes import F64

TRADING_DAYS = 252.0


def _clean(name: str, *series: ArrayLike) -> list[F64]:
    arrays = [np.asarray(s, dtype=np.float64) for s in series]
    n = arrays[0].shape[0]
    if any(a.ndim != 1 or a.shape[0] != n for a in arrays):
        raise DataError(f"{name}: open, high, low and close must be 1-d arrays of one length")
    if n < 2:
        raise DataError(f"{name}: needs at least 2 bars, got {n}")
    if any(np.any(~(a > 0)) for a in arrays):
        raise DataError(f"{name}: prices must be positive and not NaN")
    return arrays


def close_to_close(close: ArrayLike, periods_per_year: float = TRADING_DAYS) -> float:
    (c,) = _clean("close_to_close", close)
    r = np.diff(np.log(c))
    return float(np.std(r, ddof=1) * math.sqrt(periods_per_year)) if r.size > 1 else math.nan


def parkinson(high: ArrayLike, low: ArrayLike, periods_per_year: float = TRADING_DAYS) -> float:
    h, lo = _clean("parkinson", high, low)
    hl = np.log(h / lo)
    return float(math.sqrt(np.mean(hl * hl) / (4.0 * math.log(2.0)) * periods_per_year))


def garman_klass(
    open_: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    periods_per_year: float = TRADING_DAYS,
) -> float:
    o, h, lo, c = _clean("garman_klass", open_, high, low, close)
    hl = np.log(h / lo)
    co = np.log(c / o)
    var = float(np.mean(0.5 * hl * hl - (2.0 * math.log(2.0) - 1.0) * co * co))
    return math.sqrt(max(var, 0.0) * periods_per_year)


def yang_zhang(
    open_: ArrayLike,
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    periods_per_year: float = TRADING_DAYS,
) -> float:
    """Yang-Zhang (2000): overnight, open-to-close and Rogers-Satchell variances; needs 3 or more bars."""
    o, h, lo, c = _clean("yang_zhang", open_, high, low, close)
    if o.size < 3:
        raise DataError(f"yang_zhang: needs at least 3 bars, got {o.size}")
    overnight = np.log(o[1:] / c[:-1])
    open_close = np.log(c[1:] / o[1:])
    hh, ll, oo, cc = h[1:], lo[1:], o[1:], c[1:]
    rs = np.log(hh / cc) * np.log(hh / oo) + np.log(ll / cc) * np.log(ll / oo)
    n = overnight.size
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    var = np.var(overnight, ddof=1) + k * np.var(open_close, ddof=1) + (1 - k) * np.mean(rs)
    return float(math.sqrt(max(var, 0.0) * periods_per_year))
