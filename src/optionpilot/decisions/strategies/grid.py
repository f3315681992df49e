"""Strike grids shared by the builders: strikes a number of steps away, snapped to the nearest liquid one."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from optionpilot.decisions.strategies.chainview import ExpirySlice, Ladder, PreparedChain
from optionpilot.decisions.strategies.config import GridConfig

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


class Offset(NamedTuple):
    base: I64  # row of the anchor leg
    other: I64  # row of the leg `steps` away
    base_strike: F64
    other_strike: F64
    steps: I64
    fallback: B  # the other leg is the nearest liquid strike, not the one asked for


def tradeable_slices(prep: PreparedChain, grid: GridConfig) -> list[ExpirySlice]:
    """Expiries that single-expiry strategies may use (calendars' far legs may lie further out)."""
    return [e for e in prep.expiries if grid.min_dte <= e.dte <= grid.max_dte][: grid.max_expiries]


def offsets(
    ladder: Ladder, base_rows: I64, base_strikes: F64, steps: tuple[int, ...], step: float, direction: int
) -> Offset:
    """For each anchor and each step count, the liquid strike nearest anchor + direction x steps x step.

    A gap in the ladder moves the leg to the next strike beyond the anchor; none there, no candidate.
    """
    s = np.asarray(steps, dtype=np.int64)
    if len(ladder) == 0 or base_rows.size == 0 or s.size == 0:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        return Offset(e, e, f, f, e, np.zeros(0, dtype=bool))
    rb = np.repeat(base_rows, s.size)
    kb = np.repeat(base_strikes, s.size)
    ss = np.tile(s, base_rows.size)
    target = kb + direction * ss * step
    ro, ko, exact = ladder.nearest(target)
    # When the nearest strike is not beyond the anchor (a gap in the ladder), take the next one that is.
    behind = (ko - kb) * direction <= 0
    if behind.any():
        if direction > 0:
            nxt = np.searchsorted(ladder.strikes, kb[behind], side="right")
        else:
            nxt = np.searchsorted(ladder.strikes, kb[behind], side="left") - 1
        inside = (nxt >= 0) & (nxt < len(ladder))
        nxt = np.clip(nxt, 0, len(ladder) - 1)
        ro[behind] = np.where(inside, ladder.rows[nxt], ro[behind])
        ko[behind] = np.where(inside, ladder.strikes[nxt], ko[behind])
        exact[behind] = False
    ok = (ko - kb) * direction > 0
    return Offset(rb[ok], ro[ok], kb[ok], ko[ok], ss[ok], ~exact[ok])


def around_atm(ladder: Ladder, sl: ExpirySlice, steps: I64, direction: int) -> tuple[I64, F64, B]:
    """Liquid strikes nearest ATM + direction x steps x step (steps may be 0)."""
    if len(ladder) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=bool)
    rows, ks, exact = ladder.nearest(sl.atm_strike + direction * steps.astype(np.float64) * sl.step)
    return rows, ks, ~exact
