"""Long call and long put: one leg at every anchor strike."""

from __future__ import annotations

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch


def build_singles(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    out: list[LegBatch] = []
    for is_call, kind in ((True, StrategyType.LONG_CALL), (False, StrategyType.LONG_PUT)):
        rows = [sl.anchors(is_call)[0] for sl in tradeable_slices(prep, grid)]
        flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        if flat.size:
            out.append(make_batch(kind, [flat], [1.0]))
    return out
