"""Long and short straddles (one strike near the money) and strangles (a put below, a call above)."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import around_atm, tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch


def build_straddles(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    s_put, s_call, s_fb = [], [], []
    g_put, g_call, g_fb = [], [], []
    near = np.arange(-grid.atm_strikes, grid.atm_strikes + 1, dtype=np.int64)
    for sl in tradeable_slices(prep, grid):
        if len(sl.calls) == 0 or len(sl.puts) == 0:
            continue
        # A straddle needs both rights at one strike: take the call ladder's strikes, then the same put.
        rc, kc, fc = around_atm(sl.calls, sl, near, +1)
        rp, _kp, exact = sl.puts.nearest(kc)
        same = exact
        s_call.append(rc[same])
        s_put.append(rp[same])
        s_fb.append(fc[same])
        off = np.asarray(grid.offsets, dtype=np.int64)
        i, j = np.meshgrid(off, off, indexing="ij")
        rp2, kp2, fp2 = around_atm(sl.puts, sl, i.ravel(), -1)
        rc2, kc2, fc2 = around_atm(sl.calls, sl, j.ravel(), +1)
        ok = kp2 < kc2
        g_put.append(rp2[ok])
        g_call.append(rc2[ok])
        g_fb.append((fp2 | fc2)[ok])
    out: list[LegBatch] = []
    note_s = "the strike is the nearest liquid one to the money offset asked for"
    note_g = "a strike is the nearest liquid one to the offset asked for"
    if s_put and np.concatenate(s_put).size:
        p, c, f = np.concatenate(s_put), np.concatenate(s_call), np.concatenate(s_fb)
        out.append(make_batch(StrategyType.LONG_STRADDLE, [p, c], [1.0, 1.0], f, note_s))
        out.append(make_batch(StrategyType.SHORT_STRADDLE, [p, c], [-1.0, -1.0], f, note_s))
    if g_put and np.concatenate(g_put).size:
        p, c, f = np.concatenate(g_put), np.concatenate(g_call), np.concatenate(g_fb)
        out.append(make_batch(StrategyType.LONG_STRANGLE, [p, c], [1.0, 1.0], f, note_g))
        out.append(make_batch(StrategyType.SHORT_STRANGLE, [p, c], [-1.0, -1.0], f, note_g))
    return out
