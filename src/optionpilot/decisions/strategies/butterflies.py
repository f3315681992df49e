"""Long call and long put butterflies: buy one below, sell two at the body, buy one above."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch


def build_butterflies(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    out: list[LegBatch] = []
    w = np.asarray(grid.wings, dtype=np.float64)
    for is_call, kind in ((True, StrategyType.LONG_CALL_BUTTERFLY), (False, StrategyType.LONG_PUT_BUTTERFLY)):
        cols: list[list[np.ndarray]] = [[], [], [], []]
        for sl in tradeable_slices(prep, grid):
            lad = sl.ladder(is_call)
            rows, ks = sl.anchors(is_call)
            if rows.size == 0:
                continue
            body = np.repeat(np.arange(rows.size), w.size)
            ww = np.tile(w, rows.size) * sl.step
            rlo, klo, elo = lad.nearest(ks[body] - ww)
            rhi, khi, ehi = lad.nearest(ks[body] + ww)
            ok = (klo < ks[body]) & (khi > ks[body])
            # Unequal wings (a broken-wing fly) only where the grid had to fall back.
            for acc, col in zip(cols, (rlo[ok], rows[body][ok], rhi[ok], (~elo | ~ehi)[ok]), strict=True):
                acc.append(col)
        if cols[0] and np.concatenate(cols[0]).size:
            c = [np.concatenate(a) for a in cols]
            note = "a wing is the nearest liquid strike, so the wings may be unequal"
            out.append(make_batch(kind, c[:3], [1.0, -2.0, 1.0], c[3], note))
    return out
