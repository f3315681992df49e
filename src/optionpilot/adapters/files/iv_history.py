"""Daily 30-day at-the-money implied volatility per underlying, from the stored chains.

For each day: each contract's last quote of the day; per expiry, the strike nearest the spot with a
two-sided call and put; the mean of their mid implied vols; then total variance interpolated to the
target tenor between the two expiries around it (the nearest one when only one side exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.adapters.files.formats import Kind
from optionpilot.adapters.files.store import DataStore
from optionpilot.pricing import implied_vol

_YEAR_S = 365.0 * 86400.0
IV_SCHEMA = pa.schema(
    [("symbol", pa.string()), ("day", pa.date32()), ("atm_iv", pa.float64()), ("source", pa.string())]
)
SOURCE = "store:atm30"


class IvHistoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target_days: int = Field(30, ge=1, description="tenor of the ATM IV, calendar days")
    min_days: int = Field(2, ge=0, description="expiries closer than this are ignored (pin noise)")


@dataclass(frozen=True, slots=True)
class IvDay:
    symbol: str
    day: date
    atm_iv: float


def atm_iv_of_day(
    table: pa.Table,
    rate: Callable[[float], float],
    config: IvHistoryConfig | None = None,
    dividend: float = 0.0,
) -> float:
    """ATM IV at the day's last quotes; NaN when the chain holds no usable at-the-money pair."""
    cfg = config or IvHistoryConfig()
    if table.num_rows == 0:
        return float("nan")
    t = table.sort_by([("quote_ts", "ascending")])
    ident = pc.binary_join_element_wise(
        pc.cast(t["expiry"], pa.string()), pc.cast(t["strike"], pa.string()), t["right"], "|"
    ).to_numpy(zero_copy_only=False)
    # The last row of each contract: unique over the reversed order gives the last occurrences.
    _, rev_first = np.unique(ident[::-1], return_index=True)
    last = np.sort(t.num_rows - 1 - rev_first)
    t = t.take(pa.array(last))

    def f(name: str) -> np.ndarray:
        return np.asarray(t[name].to_numpy(zero_copy_only=False), dtype=np.float64)

    bid, ask, strike, spot_col = f("bid"), f("ask"), f("strike"), f("underlying_price")
    spot = float(np.nanmedian(spot_col)) if np.isfinite(spot_col).any() else float("nan")
    if not spot > 0:
        return float("nan")
    is_call = pc.equal(t["right"], "C").to_numpy(zero_copy_only=False).astype(bool)
    qts = np.asarray(t["quote_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)) / 1e6
    ets = np.asarray(t["expiry_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)) / 1e6
    expiry = t["expiry"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    two_sided = (bid > 0) & (ask >= bid)
    points: list[tuple[float, float]] = []  # (T years, iv)
    for e in np.unique(expiry):
        rows = np.flatnonzero((expiry == e) & two_sided)
        T = float(np.median(ets[rows] - qts[rows])) / _YEAR_S if rows.size else 0.0
        if rows.size == 0 or cfg.min_days > T * 365.0:
            continue
        calls = {float(strike[i]): i for i in rows if is_call[i]}
        puts = {float(strike[i]): i for i in rows if not is_call[i]}
        both = sorted(set(calls) & set(puts), key=lambda k: abs(k - spot))
        if not both:
            continue
        k = both[0]
        pair = np.array([calls[k], puts[k]])
        mids = (bid[pair] + ask[pair]) / 2.0
        r = rate(T)
        ivs = implied_vol(mids, spot, k, T, r, dividend, is_call[pair])
        ivs = ivs[np.isfinite(ivs)]
        if ivs.size:
            points.append((T, float(np.mean(ivs))))
    if not points:
        return float("nan")
    target = cfg.target_days / 365.0
    points.sort()
    Ts = np.array([p[0] for p in points])
    var = np.array([p[1] ** 2 * p[0] for p in points])
    if target <= Ts[0]:
        return points[0][1]
    if target >= Ts[-1]:
        return points[-1][1]
    return float(np.sqrt(np.interp(target, Ts, var) / target))


def compute_iv_history(
    store: DataStore,
    rate_for: Callable[[date, float], float],
    symbols: list[str] | None = None,
    config: IvHistoryConfig | None = None,
    days: dict[str, set[str]] | None = None,
) -> tuple[list[IvDay], int]:
    """ATM IV of every stored chain day (or the given days); stored in the `iv_history` table.

    Returns the points found and how many days had no usable ATM pair (skipped, counted).
    """
    out: list[IvDay] = []
    skipped = 0
    for symbol in symbols or store.symbols(Kind.CHAINS):
        wanted = days.get(symbol) if days is not None else None
        points: list[IvDay] = []
        for name in store.days(Kind.CHAINS, symbol):
            if wanted is not None and name not in wanted:
                continue
            table = store.read(Kind.CHAINS, symbol, name)
            if table is None:
                continue
            day = date.fromisoformat(name)

            def rate(T: float, d: date = day) -> float:
                return rate_for(d, T)

            iv = atm_iv_of_day(table, rate, config)
            if np.isfinite(iv):
                points.append(IvDay(symbol, day, iv))
            else:
                skipped += 1
        if points:
            tbl = pa.Table.from_pylist(
                [{"symbol": p.symbol, "day": p.day, "atm_iv": p.atm_iv, "source": SOURCE} for p in points],
                schema=IV_SCHEMA,
            )
            store.merge(Kind.IV_HISTORY, (symbol,), tbl, ("day",))
        out += points
    return out, skipped
