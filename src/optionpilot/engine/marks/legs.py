"""Exit inputs of many open multi-leg positions, in arrays: one chain read per underlying.

Every leg of every position is flattened into one row; marks come from the chain (mids of two-sided
quotes) found by an integer code of (expiry, right, strike), then `quote()`, then the last mark seen.
Per-position sums are `bincount`s over the rows; the Greeks run once over all option rows. The last marks
are the `Marker`'s, shared with the single-leg flow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.decisions.exits import ExitInputs
from optionpilot.decisions.strategies.catalog import PROFILES, StrategyType
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.market import Quote
from optionpilot.domain.positions import Position
from optionpilot.engine.marks.greeks import greeks_at_prices
from optionpilot.ports.market_data import MarketData

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
_YEAR_DAYS = 365.0
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_NO_EXPIRY = 10**6
PEAK_CAPTURE = "peak_capture"  # meta: the highest capture seen, for the multi-leg trailing stop


def two_sided(quote: Quote | None) -> bool:
    return quote is not None and quote.bid > 0 and quote.ask > 0 and quote.bid <= quote.ask


def leg_exit_inputs(
    market: MarketData, last_mark: dict[str, Decimal], positions: Sequence[Position], today: date
) -> ExitInputs:
    n = len(positions)
    pos_i: list[int] = []
    qty: list[float] = []
    avg: list[float] = []
    opts: list[OptionContract | None] = []
    symbols: list[str] = []
    keys: list[str] = []
    for i, p in enumerate(positions):
        for key, leg in p.legs.items():
            if leg.quantity == 0:
                continue
            inst = leg.instrument
            keys.append(key)
            pos_i.append(i)
            qty.append(float(leg.quantity * leg.multiplier))
            avg.append(float(leg.avg_price))
            if isinstance(inst, OptionContract):
                opts.append(inst)
                symbols.append(inst.underlying)
            else:
                opts.append(None)
                symbols.append(inst.key)
    idx = np.asarray(pos_i, dtype=np.int64)
    q = np.asarray(qty, dtype=np.float64)
    a = np.asarray(avg, dtype=np.float64)
    is_opt = np.asarray([o is not None for o in opts], dtype=bool)
    spots = {s: market.spot(s) for s in sorted(set(symbols))}
    spot = np.asarray([spots[s] for s in symbols], dtype=np.float64)
    strike = np.asarray([float(o.strike) if o else 0.0 for o in opts], dtype=np.float64)
    is_call = np.asarray([bool(o and o.is_call) for o in opts], dtype=bool)
    exp_days = np.asarray([(o.expiry - today).days if o else _NO_EXPIRY for o in opts], dtype=np.int64)
    mark = np.where(is_opt, _option_marks(market, last_mark, opts, keys, symbols, exp_days), spot)
    basis = _sum_by(idx, q * a, n)
    value = _sum_by(idx, q * mark, n)
    dte = np.full(n, _NO_EXPIRY, dtype=np.int64)
    np.minimum.at(dte, idx, exp_days)
    theta_leg = np.zeros(len(q))
    if is_opt.any():
        o = is_opt
        t = np.maximum(exp_days[o], 0) / _YEAR_DAYS + 1.0 / (_YEAR_DAYS * 24)
        rate = market.risk_free_rate(today, 30)
        g = greeks_at_prices(mark[o], spot[o], strike[o], t, rate, 0.0, is_call[o])
        theta_leg[o] = g.theta / _YEAR_DAYS * q[o]
    theta = _sum_by(idx, theta_leg, n)
    short_opt = is_opt & (q < 0)
    gap_leg = np.where(is_call, strike - spot, spot - strike) / np.where(spot > 0, spot, 1.0)
    gap = np.full(n, np.inf)
    np.minimum.at(gap, idx[short_opt], gap_leg[short_opt])
    gap = np.where(np.isfinite(gap), gap, np.nan)
    units = np.asarray([units_of(p) for p in positions], dtype=np.int64)
    opened = np.asarray([max(int(p.meta.get("units", "1")), 1) for p in positions], dtype=np.int64)
    mp = np.asarray([_per_unit(p, "max_profit_unit") for p in positions], dtype=np.float64) * units
    ml = np.asarray([_per_unit(p, "max_loss_unit") for p in positions], dtype=np.float64) * units
    short_premium = np.asarray([_collects(p.strategy_type) for p in positions], dtype=bool)
    return ExitInputs(
        basis=basis,
        value=value,
        max_profit=mp,
        max_loss=ml,
        dte=dte,
        short_premium=short_premium,
        theta=theta,
        units=units,
        opened_units=opened,
        partials_taken=np.asarray([p.partials_taken for p in positions], dtype=np.int64),
        short_gap=gap,
        strategy=tuple(p.strategy_type for p in positions),
        days_held=np.asarray(
            [(today - market.calendar.local_date(p.opened_at)).days for p in positions], dtype=np.int64
        ),
        peak_capture=np.asarray([float(p.meta.get(PEAK_CAPTURE, "nan")) for p in positions]),
    )


def _option_marks(
    market: MarketData,
    last_mark: dict[str, Decimal],
    opts: Sequence[OptionContract | None],
    keys: Sequence[str],
    symbols: Sequence[str],
    exp_days: I64,
) -> F64:
    """Mids from one chain per underlying, found by (expiry, right, strike) code; misses ask quote()."""
    out = np.full(len(opts), np.nan)
    codes = np.asarray(
        [_code(o.expiry.toordinal(), o.is_call, float(o.strike)) if o else -1 for o in opts],
        dtype=np.int64,
    )
    sym_arr = np.asarray(symbols)
    for sym in sorted({s for s, o in zip(symbols, opts, strict=True) if o is not None}):
        rows = np.flatnonzero((sym_arr == sym) & (codes >= 0))
        try:
            ch = market.chain(sym, min_dte=0, max_dte=int(exp_days[rows].max()))
        except (DataError, LookAheadError):
            continue
        if len(ch) == 0:
            continue
        ok = (ch.bid > 0) & (ch.ask > 0) & (ch.bid <= ch.ask)
        ords = ch.expiry.astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL
        cc = _codes(ords, ch.is_call, ch.strike)
        order = np.argsort(cc)
        sc = cc[order]
        pos = np.clip(np.searchsorted(sc, codes[rows]), 0, len(sc) - 1)
        found = sc[pos] == codes[rows]
        src = order[pos]
        good = found & ok[src]
        out[rows[good]] = 0.5 * (ch.bid[src[good]] + ch.ask[src[good]])
    for j in np.flatnonzero(np.isnan(out)).tolist():
        o = opts[j]
        if o is None:
            continue
        qt = market.quote(o)
        if two_sided(qt):
            assert qt is not None
            out[j] = float(qt.mid)
        else:
            seen = last_mark.get(keys[j])
            out[j] = math.nan if seen is None else float(seen)
    good = np.flatnonzero(np.isfinite(out)).tolist()
    values = out.tolist()
    last_mark.update((keys[j], Decimal(repr(values[j]))) for j in good)
    return out


def _code(ordinal: int, is_call: bool, strike: float) -> int:
    return (ordinal * 2 + int(is_call)) * 10**9 + round(strike * 1000)


def _codes(ordinals: I64, is_call: NDArray[np.bool_], strike: F64) -> I64:
    return np.asarray(
        (ordinals * 2 + is_call.astype(np.int64)) * 10**9 + np.round(strike * 1000).astype(np.int64),
        dtype=np.int64,
    )


def _sum_by(idx: I64, weights: F64, minlength: int) -> F64:
    return np.asarray(np.bincount(idx, weights=weights, minlength=minlength), dtype=np.float64)


def units_of(p: Position) -> int:
    """Open units: the unit leg's quantity over its ratio (any open leg's size when that leg is gone)."""
    ratio = int(p.meta.get("unit_ratio", "1")) or 1
    leg = p.legs.get(p.meta.get("unit_leg", ""))
    if leg is None or leg.quantity == 0:
        return max(abs(next((lg.quantity for lg in p.legs.values() if lg.quantity), 0)), 0)
    return abs(leg.quantity) // ratio


def _per_unit(p: Position, key: str) -> float:
    text = p.meta.get(key, "")
    return math.inf if text == "" else float(text)


def _collects(strategy_type: str) -> bool:
    try:
        return PROFILES[StrategyType(strategy_type)].collects_premium
    except ValueError:
        return False
