"""Bull call, bear call, bull put and bear put spreads over a grid of widths."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import Offset, offsets, tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch

_NOTE = "the upper strike is the nearest liquid one to the width asked for"


def _pairs(prep: PreparedChain, grid: GridConfig, is_call: bool) -> Offset | None:
    parts = []
    for sl in tradeable_slices(prep, grid):
        rows, ks = sl.anchors(is_call)
        parts.append(offsets(sl.ladder(is_call), rows, ks, grid.widths, sl.step, +1))
    if not parts:
        return None
    return Offset(*(np.concatenate(col) for col in zip(*parts, strict=True)))


def build_verticals(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    out: list[LegBatch] = []
    calls = _pairs(prep, grid, True)
    if calls is not None and calls.base.size:
        lo, hi = calls.base, calls.other
        out.append(make_batch(StrategyType.BULL_CALL_SPREAD, [lo, hi], [1.0, -1.0], calls.fallback, _NOTE))
        out.append(make_batch(StrategyType.BEAR_CALL_SPREAD, [lo, hi], [-1.0, 1.0], calls.fallback, _NOTE))
    puts = _pairs(prep, grid, False)
    if puts is not None and puts.base.size:
        lo, hi = puts.base, puts.other
        out.append(make_batch(StrategyType.BEAR_PUT_SPREAD, [lo, hi], [-1.0, 1.0], puts.fallback, _NOTE))
        out.append(make_batch(StrategyType.BULL_PUT_SPREAD, [lo, hi], [1.0, -1.0], puts.fallback, _NOTE))
    return out
