"""Ratio spreads: buy one, sell two further out of the money (calls above, puts below)."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import offsets, tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch


def build_ratios(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    out: list[LegBatch] = []
    for is_call, kind, direction in (
        (True, StrategyType.CALL_RATIO_SPREAD, +1),
        (False, StrategyType.PUT_RATIO_SPREAD, -1),
    ):
        cols: list[list[np.ndarray]] = [[], [], []]
        for sl in tradeable_slices(prep, grid):
            rows, ks = sl.anchors(is_call)
            o = offsets(sl.ladder(is_call), rows, ks, grid.ratio_widths, sl.step, direction)
            for acc, col in zip(cols, (o.base, o.other, o.fallback), strict=True):
                acc.append(col)
        if cols[0] and np.concatenate(cols[0]).size:
            c = [np.concatenate(a) for a in cols]
            note = "the short strike is the nearest liquid one to the width asked for"
            out.append(make_batch(kind, c[:2], [1.0, -2.0], c[2], note))
    return out
