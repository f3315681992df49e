"""Iron condors (short strangle inside long wings) and iron butterflies (short straddle inside long wings)."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import ExpirySlice, PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import F64, I64, B, around_atm, tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch

_QTY = [1.0, -1.0, -1.0, 1.0]  # long put, short put, short call, long call


def _wings(sl: ExpirySlice, kp: F64, kc: F64, wings: tuple[int, ...]) -> tuple[I64, I64, B, I64]:
    """Long put below each short put and long call above each short call, `w` steps out; index of the body."""
    w = np.asarray(wings, dtype=np.float64)
    body = np.repeat(np.arange(kp.size), w.size)
    ww = np.tile(w, kp.size)
    rlp, klp, elp = sl.puts.nearest(kp[body] - ww * sl.step)
    rlc, klc, elc = sl.calls.nearest(kc[body] + ww * sl.step)
    ok = (klp < kp[body]) & (klc > kc[body])
    return rlp[ok], rlc[ok], (~elp | ~elc)[ok], body[ok]


def build_condors(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    ic: list[list[np.ndarray]] = [[], [], [], [], []]
    fly: list[list[np.ndarray]] = [[], [], [], [], []]
    off = np.asarray(grid.offsets, dtype=np.int64)
    near = np.arange(-grid.atm_strikes, grid.atm_strikes + 1, dtype=np.int64)
    for sl in tradeable_slices(prep, grid):
        if len(sl.calls) < 2 or len(sl.puts) < 2:
            continue
        i, j = np.meshgrid(off, off, indexing="ij")
        rsp, ksp, fsp = around_atm(sl.puts, sl, i.ravel(), -1)
        rsc, ksc, fsc = around_atm(sl.calls, sl, j.ravel(), +1)
        inside = ksp < ksc
        rsp, ksp, rsc, ksc, fb = rsp[inside], ksp[inside], rsc[inside], ksc[inside], (fsp | fsc)[inside]
        rlp, rlc, fw, body = _wings(sl, ksp, ksc, grid.wings)
        for acc, col in zip(ic, (rlp, rsp[body], rsc[body], rlc, fb[body] | fw), strict=True):
            acc.append(col)
        rc, kc, fc = around_atm(sl.calls, sl, near, +1)
        rp, kp, exact = sl.puts.nearest(kc)
        rc, kc, rp, kp, fc = rc[exact], kc[exact], rp[exact], kp[exact], fc[exact]
        rlp, rlc, fw, body = _wings(sl, kp, kc, grid.wings)
        for acc, col in zip(fly, (rlp, rp[body], rc[body], rlc, fc[body] | fw), strict=True):
            acc.append(col)
    out: list[LegBatch] = []
    note = "a strike is the nearest liquid one to the offset or wing asked for"
    for kind, parts in ((StrategyType.IRON_CONDOR, ic), (StrategyType.IRON_BUTTERFLY, fly)):
        if parts[0] and np.concatenate(parts[0]).size:
            cols = [np.concatenate(a) for a in parts]
            out.append(make_batch(kind, cols[:4], _QTY, cols[4], note))
    return out
