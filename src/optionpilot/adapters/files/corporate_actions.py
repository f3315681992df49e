"""Suspected splits from raw prices, and split adjustment.

A split shows as an overnight gap close to a split ratio (2:1, 3:2, 7:1, 1:10...). So does a crash now and
then (AIG fell from 3.94 to an open of 2.70 on 2008-09-17: a gap of 1.459, within 3% of 3:2). A gap is taken
for a split only with the evidence a split leaves and a crash does not:
- the new price level holds: the ex-date's close is the previous close over the ratio too (a crash keeps
  moving through the day, and a bad opening print is gone by the close);
- the share volume scales by the ratio (more shares after a split, fewer after a reverse one): the median
  volume of a few sessions from the ex-date over that of the sessions before is near the ratio, within a
  wide factor because volume is noisy. Without volumes this check is skipped.
A vendor's stated split factor (a corporate-actions column) is taken as given by the callers.
"""

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
    level_tolerance: float = Field(
        0.12, gt=0, description="relative distance of the ex-date's close-to-close move from the ratio"
    )
    volume_window: int = Field(
        5, ge=1, description="sessions each side whose median share volume is compared"
    )
    volume_factor: float = Field(
        4.0, gt=1, description="share volume after over before must be within this factor of the ratio"
    )


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


@dataclass(frozen=True, slots=True)
class RejectedGap:
    """A gap the size of a split ratio that the evidence says is no split (a crash, a bad print)."""

    symbol: str
    day: date
    ratio: float
    gap: float
    why: str

    def describe(self) -> str:
        head = f"{self.symbol} {self.day.isoformat()}: gap {self.gap:.3f} near {self.ratio:g}"
        return f"{head} is no split: {self.why}"


def split_gaps(
    symbol: str,
    days: np.ndarray,
    opens: np.ndarray,
    closes: np.ndarray,
    config: SplitConfig | None = None,
    volumes: np.ndarray | None = None,
) -> tuple[list[Split], list[RejectedGap]]:
    """Gaps near a split ratio, split into those the evidence supports and those it rejects (with why)."""
    cfg = config or SplitConfig()
    if days.size < 2:
        return [], []
    closes = np.asarray(closes, dtype=np.float64)
    gap = closes[:-1] / np.asarray(opens, dtype=np.float64)[1:]
    held = closes[:-1] / closes[1:]
    found: list[Split] = []
    rejected: list[RejectedGap] = []
    ratios = np.asarray(cfg.ratios)
    with np.errstate(divide="ignore", invalid="ignore"):
        candidates = np.flatnonzero(np.abs(np.log(gap)) >= cfg.min_gap)
    for i in candidates:
        rel = np.abs(gap[i] / ratios - 1.0)
        j = int(np.argmin(rel))
        if not rel[j] <= cfg.tolerance:
            continue
        ratio = float(ratios[j])
        day = days[i + 1].astype("datetime64[D]").astype(object)
        why = _against(int(i) + 1, ratio, float(held[i]), volumes, cfg)
        if why is None:
            found.append(Split(symbol, day, ratio, float(gap[i]), "detected"))
        else:
            rejected.append(RejectedGap(symbol, day, ratio, float(gap[i]), why))
    return found, rejected


def detect_splits(
    symbol: str,
    days: np.ndarray,
    opens: np.ndarray,
    closes: np.ndarray,
    config: SplitConfig | None = None,
    volumes: np.ndarray | None = None,
) -> list[Split]:
    """Sessions whose open is the previous close over a split ratio, with the evidence of a split."""
    return split_gaps(symbol, days, opens, closes, config, volumes)[0]


def _against(ex: int, ratio: float, held: float, volumes: np.ndarray | None, cfg: SplitConfig) -> str | None:
    """Why the gap into session `ex` is no split, or None when the evidence supports one."""
    off = held / ratio - 1.0
    if not abs(off) <= cfg.level_tolerance:
        return f"the close-to-close move {held:.3f} is {off:+.0%} from it: the new price level did not hold"
    if volumes is None:
        return None
    v = np.asarray(volumes, dtype=np.float64)
    before = v[max(0, ex - cfg.volume_window) : ex]
    after = v[ex : ex + cfg.volume_window]
    before, after = before[before > 0], after[after > 0]
    if before.size == 0 or after.size == 0:
        return None  # no volumes to judge by
    scaled = float(np.median(after) / np.median(before))
    if not 1 / cfg.volume_factor <= scaled / ratio <= cfg.volume_factor:
        return f"share volume changed {scaled:.2f}x, not about {ratio:g}x"
    return None


def adjustment(days: np.ndarray, splits: list[Split], asof: date) -> np.ndarray:
    """Per-row divisor for prices: the product of ratios of splits after the row's day, up to `asof`."""
    factor = np.ones(days.shape, dtype=np.float64)
    d = days.astype("datetime64[D]")
    for s in splits:
        if s.day <= asof:
            factor[d < np.datetime64(s.day, "D")] *= s.ratio
    return factor
