"""IV rank and IV percentile over a lookback of sessions, and the expected move."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from optionpilot.core.errors import DataError
from optionpilot.pricing.config import DEFAULT_PRICING


def _window(history: ArrayLike, lookback: int) -> np.ndarray:
    h = np.asarray(history, dtype=np.float64)
    h = h[np.isfinite(h)][-lookback:]
    if h.size < 2:
        raise DataError(f"IV history has {h.size} usable values; IV rank needs at least 2")
    return h


def iv_rank(current: float, history: ArrayLike, lookback: int = DEFAULT_PRICING.iv_rank_lookback) -> float:
    """Where `current` sits between the lookback's low (0) and high (100)."""
    h = _window(history, lookback)
    lo, hi = float(h.min()), float(h.max())
    if hi == lo:
        return 50.0
    return float(np.clip(100.0 * (current - lo) / (hi - lo), 0.0, 100.0))


def iv_percentile(
    current: float, history: ArrayLike, lookback: int = DEFAULT_PRICING.iv_rank_lookback
) -> float:
    """Percent of the lookback's sessions whose IV was below `current`."""
    h = _window(history, lookback)
    return float(100.0 * np.count_nonzero(h < current) / h.size)


def expected_move(
    spot: float, iv: float, days: float, days_per_year: float = DEFAULT_PRICING.days_per_year
) -> float:
    """One standard deviation move by `days` calendar days: spot * iv * sqrt(days / year)."""
    if not (spot > 0 and iv >= 0 and days >= 0):
        raise DataError(f"expected move needs spot > 0, iv >= 0, days >= 0 (got {spot}, {iv}, {days})")
    return spot * iv * math.sqrt(days / days_per_year)


def straddle_expected_move(call_mid: float, put_mid: float) -> float:
    """One standard deviation from the at-the-money straddle (E|X - S| = sigma sqrt(2/pi), normal moves)."""
    return (call_mid + put_mid) * math.sqrt(math.pi / 2.0)
