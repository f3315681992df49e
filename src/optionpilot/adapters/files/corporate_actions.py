"""Suspected splits from raw prices: an overnight gap close to a split ratio, and split adjustment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class SplitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ratios: tuple[float, ...] = Field(
        (
            1.5,
            2.0,
            3.0,
            4.0,
            5.0,
            7.0,
            8.0,
            10.0,
            15.0,
            20.0,
            1 / 2,
            1 / 3,
            1 / 4,
            1 / 5,
            1 / 8,
            1 / 10,
            1 / 20,
        ),
        description="split ratios (old shares per new) looked for; below 1 a reverse split",
    )
    tolerance: float = Field(0.03, gt=0, description="relative distance of the gap from a ratio to match it")
    min_gap: float = Field(0.25, gt=0, description="smallest overnight move (as |log|) looked at")


@dataclass(frozen=True, slots=True)
class Split:
    symbol: str
    day: date  # the first session at the new price (the ex-date)
    ratio: float  # old price / new price: 7.0 for AAPL's 7-for-1
    gap: float  # the observed previous close / open
    source: str  # "vendor" (the file states it) or "detected"

    def describe(self) -> str:
        shown = f"{self.ratio:g}:1" if self.ratio >= 1 else f"1:{1 / self.ratio:g}"
        return (
            f"{self.symbol} {self.day.isoformat()}: {shown} split ({self.source}, price gap {self.gap:.3f})"
        )


def detect_splits(
    symbol: str, days: np.ndarray, opens: np.ndarray, closes: np.ndarray, config: SplitConfig | None = None
) -> list[Split]:
    """Sessions whose open is the previous close divided by a split ratio (within tolerance)."""
    cfg = config or SplitConfig()
    if days.size < 2:
        return []
    gap = closes[:-1] / opens[1:]
    out: list[Split] = []
    candidates = np.flatnonzero(np.abs(np.log(gap)) >= cfg.min_gap)
    ratios = np.asarray(cfg.ratios)
    for i in candidates:
        rel = np.abs(gap[i] / ratios - 1.0)
        j = int(np.argmin(rel))
        if rel[j] <= cfg.tolerance:
            day = days[i + 1].astype("datetime64[D]").astype(object)
            out.append(Split(symbol, day, float(ratios[j]), float(gap[i]), "detected"))
    return out


def adjustment(days: np.ndarray, splits: list[Split], asof: date) -> np.ndarray:
    """Per-row divisor for prices: the product of ratios of splits after the row's day, up to `asof`."""
    factor = np.ones(days.shape, dtype=np.float64)
    d = days.astype("datetime64[D]")
    for s in splits:
        if s.day <= asof:
            factor[d < np.datetime64(s.day, "D")] *= s.ratio
    return factor
