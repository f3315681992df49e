"""The quote model: price off the surface, spread, displayed size, volume, open interest and defects.

`price_rows` (vectorized, for chains) and `price_one` (scalar, for a single quote) follow the same
formulas. Per-contract noise comes from a counter-based hash of (contract, minute or day), not from a
random stream, so a quote is the same whichever way and in whatever order it is asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from optionpilot.adapters.sim.market_config import QuoteConfig, SurfaceConfig, UnderlyingProfile
from optionpilot.adapters.sim.surface import implied_vol_one, implied_vols
from optionpilot.domain.instruments import ExerciseStyle
from optionpilot.pricing import bs_price

F64 = NDArray[np.float64]
U64 = NDArray[np.uint64]
I64 = NDArray[np.int64]

MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_UNIT = 2.0**-53
_SQRT2 = math.sqrt(2.0)
# Salts that separate the noises drawn from one contract key.
_BID_SIZE, _ASK_SIZE, _DEFECT, _DEFECT_SIDE, _OPEN_INTEREST, _VOLUME = 1, 2, 3, 4, 5, 6
_ONE_SIDED_BID_SHARE = 0.8  # most defects are a missing bid, as on real far-OTM quotes


def mix(x: int) -> int:
    """splitmix64's finalizer."""
    x = (x + _GOLDEN) & MASK
    x = ((x ^ (x >> 30)) * _M1) & MASK
    x = ((x ^ (x >> 27)) * _M2) & MASK
    return x ^ (x >> 31)


def mix_array(x: U64) -> U64:
    x = x + np.uint64(_GOLDEN)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(_M1)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(_M2)
    return np.asarray(x ^ (x >> np.uint64(31)), dtype=np.uint64)


def contract_key(base: int, expiry_ordinal: int, strike_milli: int, is_call: bool) -> int:
    return mix(mix(base + expiry_ordinal) ^ (strike_milli * 2 + int(is_call)))


def contract_keys(base: int, expiry_ordinal: I64, strike_milli: I64, is_call: NDArray[np.bool_]) -> U64:
    h = mix_array(expiry_ordinal.astype(np.uint64) + np.uint64(base))
    return mix_array(h ^ (strike_milli.astype(np.uint64) * np.uint64(2) + is_call.astype(np.uint64)))


@lru_cache(maxsize=256)
def _salted(salt: int, purpose: int) -> int:
    return mix(salt * 8 + purpose)


def unit(key: int, salt: int, purpose: int) -> float:
    return (mix(key ^ _salted(salt, purpose)) >> 11) * _UNIT


def units(keys: U64, salt: int, purpose: int) -> F64:
    h = mix_array(keys ^ np.uint64(_salted(salt, purpose)))
    return np.asarray((h >> np.uint64(11)).astype(np.float64) * _UNIT, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class MarketState:
    """What the quote model needs about the underlying at one minute."""

    spot: float
    sigma: float  # model volatility now
    reference: float  # the previous close, which fixes the day's open interest and volume pattern
    volume_share: float  # underlying volume so far over its typical day
    minute_salt: int
    day_salt: int


@dataclass(frozen=True, slots=True)
class QuoteRows:
    """Integer ticks and counts per row; zero ticks and size mean no bid (or no ask)."""

    bid_ticks: I64
    ask_ticks: I64
    bid_size: I64
    ask_size: I64
    volume: I64
    open_interest: I64


QuoteOne = tuple[int, int, int, int]


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / _SQRT2)


def bs_price_one(S: float, K: float, T: float, r: float, q: float, v: float, call: bool) -> float:
    """Scalar Black-Scholes-Merton, written as `pricing.bs_price` is, for agreement to rounding."""
    sqrt_t = math.sqrt(max(T, 0.0))
    vol = v * sqrt_t
    df_r = math.exp(-r * T)
    df_q = math.exp(-q * T)
    if not vol > 0:
        return max(S * df_q - K * df_r, 0.0) if call else max(K * df_r - S * df_q, 0.0)
    d1 = (math.log(S / K) + (r - q) * T) / vol + 0.5 * vol
    d2 = d1 - vol
    if call:
        return S * df_q * _norm_cdf(d1) - K * df_r * _norm_cdf(d2)
    return K * df_r * _norm_cdf(-d2) - S * df_q * _norm_cdf(-d1)


class QuoteModel:
    """Quotes for one underlying's options."""

    def __init__(self, profile: UnderlyingProfile, surface: SurfaceConfig, quotes: QuoteConfig) -> None:
        self.profile = profile
        self.surface = surface
        self.cfg = quotes
        self.tick = float(profile.option_tick)
        self.american = profile.option_style is ExerciseStyle.AMERICAN
        self._min_width = quotes.min_spread_ticks * self.tick
        self._spread = quotes.spread_pct / profile.liquidity

    def price_rows(
        self,
        state: MarketState,
        strike: F64,
        T: F64,
        r: F64,
        dte: F64,
        is_call: NDArray[np.bool_],
        keys: U64,
    ) -> QuoteRows:
        p, c, S = self.profile, self.cfg, state.spot
        q = p.dividend_yield
        forward = S * np.exp((r - q) * T)
        iv, z = implied_vols(np.log(strike / forward), T, state.sigma, p, self.surface)
        price = bs_price(S, strike, T, r, q, iv, is_call)
        if self.american:
            price = np.maximum(price, np.where(is_call, S - strike, strike - S))
        az = np.abs(z)
        width = np.maximum(
            self._min_width,
            price
            * self._spread
            * (1.0 + c.wing_widening * az)
            * (1.0 + c.short_dte_widening * np.exp(-dte / c.short_dte_days)),
        )
        tick = self.tick
        bid_t = np.maximum(np.floor((price - 0.5 * width) / tick), 0.0)
        ask_t = np.maximum(np.ceil((price + 0.5 * width) / tick), bid_t + 1.0)
        size = c.size_base * p.liquidity * np.exp(-0.5 * az)
        ms = state.minute_salt
        bid_size = np.where(bid_t > 0, np.ceil(size * (0.4 + 1.2 * units(keys, ms, _BID_SIZE))), 0.0)
        ask_size = np.ceil(size * (0.4 + 1.2 * units(keys, ms, _ASK_SIZE)))
        otm = np.where(is_call, strike > S, strike < S)
        defect = otm & (az >= c.defect_min_z) & (units(keys, ms, _DEFECT) < c.defect_rate)
        no_bid = defect & (units(keys, ms, _DEFECT_SIDE) < _ONE_SIDED_BID_SHARE)
        no_ask = defect & ~no_bid
        bid_t = np.where(no_bid, 0.0, bid_t)
        bid_size = np.where(no_bid, 0.0, bid_size)
        ask_t = np.where(no_ask, 0.0, ask_t)
        ask_size = np.where(no_ask, 0.0, ask_size)

        ds = state.day_salt
        z_ref = np.log(strike / state.reference) / (p.base_vol * np.sqrt(np.maximum(dte, 7.0) / 365.0))
        oi = (
            c.open_interest_base
            * p.liquidity
            * np.exp(-0.5 * (z_ref / 1.5) ** 2)
            * (0.3 + 0.7 * np.minimum(dte, 45.0) / 45.0)
            * (0.5 + units(keys, ds, _OPEN_INTEREST))
        )
        day_volume = (
            c.volume_base
            * p.liquidity
            * np.exp(-0.5 * (z_ref / 1.2) ** 2)
            * (np.exp(-dte / 20.0) + 0.05)
            * (0.5 + units(keys, ds, _VOLUME))
        )
        share = min(state.volume_share, 3.0)
        as_int = np.int64
        return QuoteRows(
            bid_ticks=bid_t.astype(as_int),
            ask_ticks=ask_t.astype(as_int),
            bid_size=bid_size.astype(as_int),
            ask_size=ask_size.astype(as_int),
            volume=np.floor(day_volume * share).astype(as_int),
            open_interest=np.floor(oi).astype(as_int),
        )

    def price_one(
        self, state: MarketState, strike: float, T: float, r: float, dte: float, is_call: bool, key: int
    ) -> QuoteOne:
        """(bid ticks, ask ticks, bid size, ask size) of one contract."""
        p, c, S = self.profile, self.cfg, state.spot
        q = p.dividend_yield
        forward = S * math.exp((r - q) * T)
        iv, z = implied_vol_one(math.log(strike / forward), T, state.sigma, p, self.surface)
        price = bs_price_one(S, strike, T, r, q, iv, is_call)
        if self.american:
            price = max(price, S - strike if is_call else strike - S)
        az = abs(z)
        width = max(
            self._min_width,
            price
            * self._spread
            * (1.0 + c.wing_widening * az)
            * (1.0 + c.short_dte_widening * math.exp(-dte / c.short_dte_days)),
        )
        tick = self.tick
        bid_t = max(math.floor((price - 0.5 * width) / tick), 0)
        ask_t = max(math.ceil((price + 0.5 * width) / tick), bid_t + 1)
        size = c.size_base * p.liquidity * math.exp(-0.5 * az)
        ms = state.minute_salt
        bid_size = math.ceil(size * (0.4 + 1.2 * unit(key, ms, _BID_SIZE))) if bid_t > 0 else 0
        ask_size = math.ceil(size * (0.4 + 1.2 * unit(key, ms, _ASK_SIZE)))
        otm = strike > S if is_call else strike < S
        if otm and az >= c.defect_min_z and unit(key, ms, _DEFECT) < c.defect_rate:
            if unit(key, ms, _DEFECT_SIDE) < _ONE_SIDED_BID_SHARE:
                bid_t, bid_size = 0, 0
            else:
                ask_t, ask_size = 0, 0
        return (bid_t, ask_t, bid_size, ask_size)

    def counts_one(self, state: MarketState, strike: float, dte: float, key: int) -> tuple[int, int]:
        """(volume so far, open interest) of one contract, as `price_rows` gives them."""
        p, c = self.profile, self.cfg
        ds = state.day_salt
        z_ref = math.log(strike / state.reference) / (p.base_vol * math.sqrt(max(dte, 7.0) / 365.0))
        oi = (
            c.open_interest_base
            * p.liquidity
            * math.exp(-0.5 * (z_ref / 1.5) ** 2)
            * (0.3 + 0.7 * min(dte, 45.0) / 45.0)
            * (0.5 + unit(key, ds, _OPEN_INTEREST))
        )
        day_volume = (
            c.volume_base
            * p.liquidity
            * math.exp(-0.5 * (z_ref / 1.2) ** 2)
            * (math.exp(-dte / 20.0) + 0.05)
            * (0.5 + unit(key, ds, _VOLUME))
        )
        share = min(state.volume_share, 3.0)
        return (math.floor(day_volume * share), math.floor(oi))
