"""The daily trend of an underlying, point in time: seed 003's trend state on completed sessions' closes.

Swing trades (7-30 DTE) are held for days, so they enter and exit on this trend, not the 1-minute one
(a 1-minute flip closed 28 of 28 swings within minutes in a 5-day run, issue 12).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class DailyTrendConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Seed 003's trend (close > SMA20 > SMA50, SMA20 rising) on daily closes.
    sma_fast: int = Field(20, ge=2)
    sma_slow: int = Field(50, ge=3)
    slope_days: int = Field(5, ge=1)  # "rising": SMA20 now above SMA20 this many sessions ago

    @property
    def sessions_needed(self) -> int:
        return max(self.sma_slow, self.sma_fast + self.slope_days)


def daily_trend(closes: np.ndarray, config: DailyTrendConfig | None = None) -> int:
    """+1 up, -1 down, 0 neither (or too little history), from the closes of completed sessions.

    The caller passes only sessions that have closed, so today's trend never sees today's close.
    """
    cfg = config or DailyTrendConfig()
    c = np.asarray(closes, dtype=np.float64)
    c = c[np.isfinite(c)]
    if c.size < cfg.sessions_needed:
        return 0
    close = float(c[-1])
    fast = float(c[-cfg.sma_fast :].mean())
    slow = float(c[-cfg.sma_slow :].mean())
    fast_before = float(c[-cfg.sma_fast - cfg.slope_days : -cfg.slope_days].mean())
    if close > fast > slow and fast > fast_before:
        return 1
    if close < fast < slow and fast < fast_before:
        return -1
    return 0
