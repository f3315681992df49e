"""IV rank and IV percentile of today's implied volatility against its recent history (seed 000)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import DataError


class IvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lookback_sessions: int = Field(252, ge=2)  # seed 000: 52 weeks of daily IV
    # With fewer past sessions than this the rank says nothing; callers get None.
    min_sessions: int = Field(20, ge=2)


def _history(history: Sequence[float] | np.ndarray, config: IvConfig) -> np.ndarray:
    arr = np.asarray(history, dtype=np.float64)[-config.lookback_sessions :]
    return arr[np.isfinite(arr) & (arr > 0.0)]


def _check(current: float) -> None:
    if not (math.isfinite(current) and current > 0.0):
        raise DataError(f"iv: current implied volatility {current!r} is not a positive number")


def iv_rank(
    current: float, history: Sequence[float] | np.ndarray, config: IvConfig | None = None
) -> float | None:
    """(current - min) / (max - min) over the lookback, clipped to 0..1; None with too little history.

    Seed 000's example: 0.35 against a 0.20-0.60 range gives 0.375.
    """
    cfg = config or IvConfig()
    _check(current)
    arr = _history(history, cfg)
    if arr.size < cfg.min_sessions:
        return None
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= lo:
        return 0.5  # a flat history: today is neither cheap nor dear
    return min(max((current - lo) / (hi - lo), 0.0), 1.0)


def iv_percentile(
    current: float, history: Sequence[float] | np.ndarray, config: IvConfig | None = None
) -> float | None:
    """Share of past sessions whose IV was below the current one; None with too little history."""
    cfg = config or IvConfig()
    _check(current)
    arr = _history(history, cfg)
    if arr.size < cfg.min_sessions:
        return None
    return float(np.count_nonzero(arr < current)) / float(arr.size)
