"""The fast entry points: Black-Scholes-Merton prices, Greeks and implied vol on compiled kernels.

Same names, arguments and results as the numpy reference in `black_scholes` (which they are tested
against); scalars or arrays, broadcast. Long arrays run on every core, short ones on one.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optionpilot.pricing import iv_kernels, kernels
from optionpilot.pricing.black_scholes import F64, Greeks
from optionpilot.pricing.config import DEFAULT_PRICING, PricingConfig


class IVReason(IntEnum):
    """Why a quote has no implied volatility (OK when it has one)."""

    OK = iv_kernels.OK
    NO_PRICE = iv_kernels.NO_PRICE
    BAD_INPUT = iv_kernels.BAD_INPUT
    EXPIRED = iv_kernels.EXPIRED
    BELOW_INTRINSIC = iv_kernels.BELOW_INTRINSIC
    AT_INTRINSIC = iv_kernels.AT_INTRINSIC
    ABOVE_UPPER = iv_kernels.ABOVE_UPPER
    NOT_CONVERGED = iv_kernels.NOT_CONVERGED
    NO_BID = 8
    NO_ASK = 9
    CROSSED = 10

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    IVReason.OK: "",
    IVReason.NO_PRICE: "no price (missing or zero)",
    IVReason.BAD_INPUT: "bad input (spot, strike or rate missing or not positive)",
    IVReason.EXPIRED: "expired (no time to expiry)",
    IVReason.BELOW_INTRINSIC: "price below intrinsic value",
    IVReason.AT_INTRINSIC: "no time value (price at intrinsic)",
    IVReason.ABOVE_UPPER: "price at or above the no-arbitrage upper bound",
    IVReason.NOT_CONVERGED: "solver did not converge",
    IVReason.NO_BID: "no bid",
    IVReason.NO_ASK: "no ask",
    IVReason.CROSSED: "crossed quote (bid above ask)",
}


class IVResult(NamedTuple):
    iv: F64  # NaN where there is none
    reason: NDArray[np.int8]  # IVReason codes, OK where iv is a number


def _flat(*args: ArrayLike, n_bool: int = 1) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast, then give contiguous 1-d float64 arrays (the last `n_bool` as bool)."""
    n_float = len(args) - n_bool
    arrays = [np.asarray(a, dtype=np.float64) for a in args[:n_float]]
    arrays += [np.asarray(a, dtype=np.bool_) for a in args[n_float:]]
    b = np.broadcast_arrays(*arrays)
    shape = b[0].shape
    return shape, [np.ascontiguousarray(x).reshape(-1) for x in b]


_SCALARS = (float, int, np.floating, np.integer, np.bool_)


def _is_scalar(*args: object) -> bool:
    return all(isinstance(a, _SCALARS) for a in args)


def bs_price(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    *,
    config: PricingConfig = DEFAULT_PRICING,
) -> F64:
    if _is_scalar(S, K, T, r, q, sigma, is_call):
        s1, k1, t1, r1, q1, v1 = (float(a) for a in (S, K, T, r, q, sigma))  # type: ignore[arg-type]
        return np.asarray(kernels.price_one(s1, k1, t1, r1, q1, v1, bool(is_call)), dtype=np.float64)
    shape, (s, k, t, rr, qq, v, c) = _flat(S, K, T, r, q, sigma, is_call)
    out = np.empty(s.shape[0])
    fn = kernels.price_parallel if s.shape[0] >= config.parallel_min_size else kernels.price_serial
    fn(s, k, t, rr, qq, v, c, out)
    return out.reshape(shape)


def bs_price_one(S: float, K: float, T: float, r: float, q: float, sigma: float, is_call: bool) -> float:
    """One option's price as a float, for the tightest loops in Python."""
    return float(kernels.price_one(S, K, T, r, q, sigma, is_call))


def bs_greeks(
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    sigma: ArrayLike,
    is_call: ArrayLike,
    *,
    config: PricingConfig = DEFAULT_PRICING,
) -> Greeks:
    shape, (s, k, t, rr, qq, v, c) = _flat(S, K, T, r, q, sigma, is_call)
    out = np.empty((6, s.shape[0]))
    fn = kernels.greeks_parallel if s.shape[0] >= config.parallel_min_size else kernels.greeks_serial
    fn(s, k, t, rr, qq, v, c, out)
    return Greeks(*(row.reshape(shape) for row in out))


def theta_per_day(theta: ArrayLike, config: PricingConfig = DEFAULT_PRICING) -> F64:
    """Theta per calendar day from theta per year."""
    return np.asarray(np.asarray(theta, dtype=np.float64) / config.days_per_year, dtype=np.float64)


def implied_vol_with_reason(
    price: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
    *,
    config: PricingConfig = DEFAULT_PRICING,
) -> IVResult:
    """Black-Scholes-Merton implied volatility, and for each input the reason when there is none."""
    shape, (p, s, k, t, rr, qq, c) = _flat(price, S, K, T, r, q, is_call)
    out = np.empty(s.shape[0])
    why = np.empty(s.shape[0], dtype=np.int8)
    fn = iv_kernels.iv_parallel if s.shape[0] >= config.parallel_min_size else iv_kernels.iv_serial
    fn(p, s, k, t, rr, qq, c, config.iv_max_iter, config.iv_tol, out, why)
    return IVResult(out.reshape(shape), why.reshape(shape))


def implied_vol(
    price: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
    *,
    config: PricingConfig = DEFAULT_PRICING,
) -> F64:
    """Implied volatility, NaN where none exists (see `implied_vol_with_reason` for why)."""
    return implied_vol_with_reason(price, S, K, T, r, q, is_call, config=config).iv


def implied_vol_one(
    price: float,
    S: float,
    K: float,
    T: float,
    r: float,
    q: float,
    is_call: bool,
    config: PricingConfig = DEFAULT_PRICING,
) -> float:
    """One option's implied vol as a float (NaN where none exists)."""
    return float(
        iv_kernels.implied_vol_one(price, S, K, T, r, q, is_call, config.iv_max_iter, config.iv_tol)[0]
    )


class QuoteIV(NamedTuple):
    mid: F64
    bid: F64
    ask: F64
    reason: NDArray[np.int8]  # why the mid has no IV
    reason_bid: NDArray[np.int8]
    reason_ask: NDArray[np.int8]


def quote_implied_vols(
    bid: ArrayLike,
    ask: ArrayLike,
    S: ArrayLike,
    K: ArrayLike,
    T: ArrayLike,
    r: ArrayLike,
    q: ArrayLike,
    is_call: ArrayLike,
    *,
    config: PricingConfig = DEFAULT_PRICING,
) -> QuoteIV:
    """IV from the bid, the ask and the mid of quotes; a missing side or a crossed quote is a reason."""
    shape, (b, a, s, k, t, rr, qq, c) = _flat(bid, ask, S, K, T, r, q, is_call)
    has_bid = b > 0
    has_ask = (a > 0) & np.isfinite(a)
    mid = np.where(has_bid & has_ask, 0.5 * (b + a), np.nan)
    iv_mid, why_mid = implied_vol_with_reason(mid, s, k, t, rr, qq, c, config=config)
    iv_bid, why_bid = implied_vol_with_reason(np.where(has_bid, b, np.nan), s, k, t, rr, qq, c, config=config)
    iv_ask, why_ask = implied_vol_with_reason(np.where(has_ask, a, np.nan), s, k, t, rr, qq, c, config=config)
    why_bid = np.where(has_bid | (why_bid != IVReason.NO_PRICE), why_bid, IVReason.NO_BID).astype(np.int8)
    why_ask = np.where(has_ask | (why_ask != IVReason.NO_PRICE), why_ask, IVReason.NO_ASK).astype(np.int8)
    side = np.where(~has_bid, IVReason.NO_BID, IVReason.NO_ASK)
    why_mid = np.where(has_bid & has_ask | (why_mid != IVReason.NO_PRICE), why_mid, side)
    crossed = has_bid & has_ask & (b > a)
    why_mid = np.where(crossed, IVReason.CROSSED, why_mid).astype(np.int8)
    iv_mid = np.where(crossed, np.nan, iv_mid)
    return QuoteIV(
        iv_mid.reshape(shape),
        iv_bid.reshape(shape),
        iv_ask.reshape(shape),
        why_mid.reshape(shape),
        why_bid.reshape(shape),
        why_ask.reshape(shape),
    )
