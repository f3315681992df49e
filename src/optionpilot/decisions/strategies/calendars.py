"""Calendars (sell the near expiry, buy a later one at the same strike) and diagonals (the later one
moved in the money)."""

from __future__ import annotations

import math

import numpy as np

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import GridConfig
from optionpilot.decisions.strategies.grid import offsets, tradeable_slices
from optionpilot.decisions.strategies.legs import LegBatch, make_batch

_KINDS = (
    (True, StrategyType.CALL_CALENDAR, StrategyType.CALL_DIAGONAL, -1),
    (False, StrategyType.PUT_CALENDAR, StrategyType.PUT_DIAGONAL, +1),
)


def build_calendars(prep: PreparedChain, grid: GridConfig) -> list[LegBatch]:
    out: list[LegBatch] = []
    for is_call, cal_kind, diag_kind, inward in _KINDS:
        cal: list[list[np.ndarray]] = [[], [], []]
        diag: list[list[np.ndarray]] = [[], [], []]
        for near in tradeable_slices(prep, grid)[: grid.calendar_near_expiries]:
            later = [e for e in prep.expiries if e.dte > near.dte and e.dte <= grid.calendar_max_dte]
            rows, ks = near.anchors(is_call)
            band = grid.calendar_range_sigmas * near.atm_iv * math.sqrt(max(near.years, 1e-6))
            close = np.abs(np.log(ks / prep.spot)) <= max(band, grid.min_strike_range_pct)
            rows, ks = rows[close], ks[close]
            for far in later[: grid.far_expiries]:
                lad = far.ladder(is_call)
                if rows.size == 0 or len(lad) == 0:
                    continue
                rf, _, exact = lad.nearest(ks)
                for acc, col in zip(cal, (rows, rf, ~exact), strict=True):
                    acc.append(col)
                # The long far leg sits `d` steps in the money from the short: a call below, a put above.
                o = offsets(lad, rows, ks, grid.diagonal_offsets, near.step, inward)
                for acc, col in zip(diag, (o.base, o.other, o.fallback), strict=True):
                    acc.append(col)
        for kind, parts, note in (
            (cal_kind, cal, "the far leg is the nearest liquid strike to the near one, not the same strike"),
            (diag_kind, diag, "the far leg is the nearest liquid strike to the offset asked for"),
        ):
            if parts[0] and np.concatenate(parts[0]).size:
                c = [np.concatenate(a) for a in parts]
                out.append(make_batch(kind, c[:2], [-1.0, 1.0], c[2], note))
    return out
