"""Covered calls (100 shares, or a lot, plus a short call) and cash-secured puts."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import tradeable_slices
from optionpilot.decisions.strategies.legs import STOCK_ROW, LegBatch, make_batch


def build_covered(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    """Calls at or above the money over the shares (where the underlying trades); puts at or below."""
    calls, puts = [], []
    for sl in tradeable_slices(prep, grid):
        rc, kc = sl.anchors(True)
        calls.append(rc[kc >= sl.atm_strike])
        rp, kp = sl.anchors(False)
        puts.append(rp[kp <= sl.atm_strike])
    out: list[LegBatch] = []
    c = np.concatenate(calls) if calls else np.zeros(0, dtype=np.int64)
    if c.size and prep.chain.underlying.is_tradeable:
        out.append(make_batch(StrategyType.COVERED_CALL, [np.full(c.size, STOCK_ROW), c], [1.0, -1.0]))
    p = np.concatenate(puts) if puts else np.zeros(0, dtype=np.int64)
    if p.size:
        out.append(make_batch(StrategyType.CASH_SECURED_PUT, [p], [-1.0]))
    return out
