"""Candidates of one strategy type as arrays: a chain row and a signed quantity per leg, a row each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

STOCK_ROW = -1  # a leg in the underlying itself (covered call)
PUT, CALL, STOCK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class LegBatch:
    """N candidates of one type with L legs each. `qty` is per unit: +1 buy one, -2 sell two.

    `fallback[i]` says a strike of candidate i is the nearest listed liquid one, not the one the grid asked
    for; `note` says which leg that was.
    """

    strategy: StrategyType
    rows: I64  # (N, L), STOCK_ROW for the underlying
    qty: F64  # (N, L)
    fallback: B  # (N,)
    note: str = ""

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @property
    def n_legs(self) -> int:
        return int(self.rows.shape[1])


def make_batch(
    strategy: StrategyType,
    rows: Sequence[I64],
    qty: Sequence[float],
    fallback: B | None = None,
    note: str = "",
) -> LegBatch:
    """Stack leg rows into a batch, dropping candidates that repeat another's legs exactly."""
    r = np.stack([np.asarray(x, dtype=np.int64).reshape(-1) for x in rows], axis=1)
    n = r.shape[0]
    fb = np.zeros(n, dtype=bool) if fallback is None else np.asarray(fallback, dtype=bool).reshape(-1)
    q = np.broadcast_to(np.asarray(qty, dtype=np.float64), r.shape).copy()
    if n:
        # Exact strikes first, so a duplicate keeps the version that did not need a fallback.
        order = np.argsort(fb, kind="stable")
        r, fb, q = r[order], fb[order], q[order]
        _, first = np.unique(r, axis=0, return_index=True)
        keep = np.sort(first)
        r, fb, q = r[keep], fb[keep], q[keep]
    return LegBatch(strategy, r, q, fb, note)


@dataclass(frozen=True, slots=True)
class LegArrays:
    """Per-leg values gathered from the chain, each (N, L)."""

    strike: F64  # 0 for the underlying
    code: NDArray[np.int8]  # PUT, CALL or STOCK
    years: F64
    bid: F64
    ask: F64
    iv: F64
    delta: F64
    gamma: F64
    vega: F64
    theta: F64
    spread_pct: F64  # 0 for the underlying

    @property
    def mid(self) -> F64:
        return np.asarray(0.5 * (self.bid + self.ask), dtype=np.float64)


def gather(prep: PreparedChain, batch: LegBatch) -> LegArrays:
    ch = prep.chain
    stock = batch.rows == STOCK_ROW
    r = np.where(stock, 0, batch.rows)
    spot = prep.spot

    def pick(a: np.ndarray, stock_value: float) -> F64:
        return np.asarray(np.where(stock, stock_value, np.asarray(a, dtype=np.float64)[r]), dtype=np.float64)

    code = np.where(stock, STOCK, np.where(ch.is_call[r], CALL, PUT)).astype(np.int8)
    g = prep.greeks
    return LegArrays(
        strike=pick(ch.strike, 0.0),
        code=code,
        years=pick(prep.years, np.inf),
        bid=pick(ch.bid, spot),
        ask=pick(ch.ask, spot),
        iv=pick(prep.iv, 0.0),
        delta=pick(g.delta, 1.0),
        gamma=pick(g.gamma, 0.0),
        vega=pick(g.vega, 0.0),
        theta=pick(g.theta, 0.0),
        spread_pct=pick(prep.spread_pct, 0.0),
    )
