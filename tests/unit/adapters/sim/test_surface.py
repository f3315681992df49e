from __future__ import annotations

import numpy as np
import pytest

from optionpilot.adapters.sim.market_config import QuoteConfig, SurfaceConfig, default_us_profiles
from optionpilot.adapters.sim.quotes import (
    MarketState,
    QuoteModel,
    bs_price_one,
    contract_key,
    contract_keys,
    mix,
    mix_array,
    unit,
    units,
)
from optionpilot.adapters.sim.surface import atm_vols, implied_vol_one, implied_vols
from optionpilot.pricing import bs_price

SPY = default_us_profiles()[0]
SURFACE = SurfaceConfig()


def test_atm_term_structure_moves_with_current_vol() -> None:
    T = np.array([1e-6, 7 / 365, 30 / 365, 1.0])
    high = atm_vols(0.40, SPY.base_vol, T, SURFACE)
    low = atm_vols(0.10, SPY.base_vol, T, SURFACE)
    assert np.all(np.diff(high) < 0) and np.all(np.diff(low) > 0)  # inverted when vol is high
    assert high[0] == pytest.approx(SURFACE.iv_premium * 0.40, rel=1e-4)
    assert high[-1] < 0.5 * (high[0] + SURFACE.iv_premium * SPY.base_vol) * 1.2


def test_skew_makes_puts_dearer_than_calls() -> None:
    k = np.array([-0.05, 0.0, 0.05])
    iv, z = implied_vols(k, np.full(3, 30 / 365), 0.16, SPY, SURFACE)
    assert iv[0] > iv[1] > iv[2] * 0.99
    assert z[0] < 0 < z[2]


def test_scalar_surface_matches_vector() -> None:
    rng = np.random.default_rng(0)
    k = rng.normal(0, 0.1, 200)
    T = rng.uniform(0, 0.5, 200)
    iv, z = implied_vols(k, T, 0.2, SPY, SURFACE)
    for i in range(200):
        one = implied_vol_one(float(k[i]), float(T[i]), 0.2, SPY, SURFACE)
        assert one == pytest.approx((iv[i], z[i]), rel=1e-12, abs=1e-14)


def test_scalar_black_scholes_matches_pricing() -> None:
    rng = np.random.default_rng(1)
    S, K = 100.0, rng.uniform(60, 140, 300)
    T, v = rng.uniform(0, 1, 300), rng.uniform(0.05, 0.9, 300)
    calls = rng.random(300) < 0.5
    vec = bs_price(S, K, T, 0.04, 0.01, v, calls)
    for i in range(300):
        assert bs_price_one(
            S, float(K[i]), float(T[i]), 0.04, 0.01, float(v[i]), bool(calls[i])
        ) == pytest.approx(vec[i], rel=1e-10, abs=1e-12)


def test_hash_scalar_and_vector_agree() -> None:
    xs = np.array([0, 1, 2**40 + 7, 2**63 + 5], dtype=np.uint64)
    assert [int(v) for v in mix_array(xs)] == [mix(int(x)) for x in xs]
    exp = np.array([740000, 740007], dtype=np.int64)
    strikes = np.array([580000, 582500], dtype=np.int64)
    calls = np.array([True, False])
    keys = contract_keys(12345, exp, strikes, calls)
    assert [int(k) for k in keys] == [
        contract_key(12345, 740000, 580000, True),
        contract_key(12345, 740007, 582500, False),
    ]
    assert list(units(keys, 99, 3)) == [unit(int(keys[0]), 99, 3), unit(int(keys[1]), 99, 3)]


def _grid(n: int = 400, seed: int = 2):
    rng = np.random.default_rng(seed)
    strike = np.round(rng.uniform(480, 680, n))
    dte = rng.integers(0, 60, n).astype(np.float64)
    T = (dte + rng.uniform(0.05, 0.3, n)) / 365
    r = np.full(n, 0.04)
    is_call = rng.random(n) < 0.5
    keys = contract_keys(777, (740000 + dte).astype(np.int64), (strike * 1000).astype(np.int64), is_call)
    return strike, T, r, dte, is_call, keys


STATE = MarketState(
    spot=580.0, sigma=0.17, reference=578.0, volume_share=0.4, minute_salt=29_000_000, day_salt=740000
)


def test_vector_and_scalar_quotes_agree() -> None:
    model = QuoteModel(SPY, SURFACE, QuoteConfig())
    strike, T, r, dte, is_call, keys = _grid()
    rows = model.price_rows(STATE, strike, T, r, dte, is_call, keys)
    for i in range(strike.size):
        one = model.price_one(
            STATE, float(strike[i]), float(T[i]), 0.04, float(dte[i]), bool(is_call[i]), int(keys[i])
        )
        assert one == (rows.bid_ticks[i], rows.ask_ticks[i], rows.bid_size[i], rows.ask_size[i])
        counts = model.counts_one(STATE, float(strike[i]), float(dte[i]), int(keys[i]))
        assert counts == (rows.volume[i], rows.open_interest[i])


def test_quotes_are_sane_and_spreads_widen() -> None:
    model = QuoteModel(SPY, SURFACE, QuoteConfig(defect_rate=0.0))
    strike = np.array([580.0, 580.0, 640.0, 580.0])
    T = np.array([30, 0.2, 30, 0.2]) / 365
    dte = np.array([30.0, 0.0, 30.0, 0.0])
    is_call = np.array([True, True, True, False])
    keys = contract_keys(1, np.array([1, 2, 3, 4]), (strike * 1000).astype(np.int64), is_call)
    q = model.price_rows(STATE, strike, T, np.full(4, 0.04), dte, is_call, keys)
    assert np.all(q.ask_ticks > q.bid_ticks) and np.all(q.bid_ticks >= 0)
    mid = (q.bid_ticks + q.ask_ticks) / 2
    rel = (q.ask_ticks - q.bid_ticks) / mid
    assert rel[1] > rel[0]  # short expiry wider than 30 days
    assert rel[2] > rel[0]  # far strike wider than at the money
    assert q.open_interest[0] > q.open_interest[2] and q.volume[0] > 200


def test_american_quotes_never_below_intrinsic() -> None:
    model = QuoteModel(SPY, SURFACE, QuoteConfig(defect_rate=0.0))
    strike = np.array([680.0])
    q = model.price_rows(
        STATE,
        strike,
        np.array([0.25]),
        np.array([0.05]),
        np.array([90.0]),
        np.array([False]),
        np.array([5], dtype=np.uint64),
    )
    assert q.bid_ticks[0] * 0.01 >= 100.0 - 0.5 * (q.ask_ticks[0] - q.bid_ticks[0]) * 0.01 - 0.01


def test_defects_make_far_otm_quotes_one_sided() -> None:
    model = QuoteModel(SPY, SURFACE, QuoteConfig(defect_rate=1.0, defect_min_z=1.0))
    strike, T, r, dte, is_call, keys = _grid()
    q = model.price_rows(STATE, strike, T, r, dte, is_call, keys)
    one_sided = (q.bid_ticks == 0) | (q.ask_ticks == 0)
    assert np.all((q.bid_ticks == 0) == (q.bid_size == 0))
    assert np.all((q.ask_ticks == 0) == (q.ask_size == 0))
    assert one_sided.mean() > 0.2
    itm = np.where(is_call, strike < STATE.spot, strike > STATE.spot)
    assert not np.any(one_sided & itm & (q.bid_ticks == 0) & ((q.ask_ticks) > 100))
