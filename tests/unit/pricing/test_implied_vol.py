"""Implied volatility: round trips, reasons, and quote sides."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from optionpilot.pricing import (
    IVReason,
    bs_greeks,
    implied_vol,
    implied_vol_one,
    implied_vol_with_reason,
    quote_implied_vols,
)
from optionpilot.pricing import black_scholes as ref


def wide_grid(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    S = 100 * np.exp(rng.normal(0, 0.3, n))
    K = 100 * np.exp(rng.normal(0, 0.3, n))
    T = np.exp(rng.uniform(math.log(1 / 365 / 24), math.log(5), n))  # an hour to five years
    r = rng.uniform(-0.01, 0.08, n)
    q = rng.uniform(0, 0.05, n)
    v = rng.uniform(0.03, 2.0, n)
    c = rng.random(n) < 0.5
    return S, K, T, r, q, v, c


def test_round_trip_meets_the_accuracy_targets() -> None:
    S, K, T, r, q, v, c = wide_grid(300_000, seed=1)
    g = ref.bs_greeks(S, K, T, r, q, v, c)
    iv, why = implied_vol_with_reason(g.price, S, K, T, r, q, c)
    err = np.abs(iv - v)
    strict = g.vega >= 0.01
    loose = g.vega > 1e-6 * S
    assert np.all(why[strict] == IVReason.OK), "every quote with vega >= 0.01 must solve"
    assert err[strict].max() <= 1e-11
    assert np.all(why[loose] == IVReason.OK)
    assert err[loose].max() <= 1e-8


@settings(max_examples=400, deadline=None)
@given(
    S=st.floats(50, 200),
    K=st.floats(50, 200),
    T=st.floats(1 / 365 / 24, 5),
    r=st.floats(-0.01, 0.1),
    q=st.floats(0, 0.06),
    v=st.floats(0.02, 2.5),
    call=st.booleans(),
)
def test_round_trip_property(S: float, K: float, T: float, r: float, q: float, v: float, call: bool) -> None:
    g = ref.bs_greeks(S, K, T, r, q, v, call)
    iv = implied_vol(g.price, S, K, T, r, q, call)
    if g.vega >= 0.01:
        assert abs(float(iv) - v) <= 1e-11
    elif g.vega > 1e-6 * S:
        assert abs(float(iv) - v) <= 1e-8


def test_matches_a_bracketing_scalar_reference() -> None:
    S, K, T, r, q, v, c = wide_grid(200, seed=9)
    price = ref.bs_price(S, K, T, r, q, v, c)
    ours = implied_vol(price, S, K, T, r, q, c)
    for i in range(200):
        if ref.bs_greeks(S[i], K[i], T[i], r[i], q[i], v[i], c[i]).vega < 0.01:
            continue
        f = lambda s, i=i: float(ref.bs_price(S[i], K[i], T[i], r[i], q[i], s, c[i])) - price[i]  # noqa: E731
        assert ours[i] == pytest.approx(brentq(f, 1e-4, 10.0, xtol=1e-15), abs=1e-10)


def test_reasons_where_no_iv_exists() -> None:
    S, K, T, r, q = 100.0, 100.0, 0.5, 0.02, 0.0
    prices = [np.nan, 0.0, 100.5, 200.0, 10.0, 5.0]
    calls = [True, True, True, True, True, True]
    spots = [S, S, S, S, S, -1.0]
    iv, why = implied_vol_with_reason(prices, spots, K, T, r, q, calls)
    assert why.tolist() == [
        IVReason.NO_PRICE,
        IVReason.NO_PRICE,
        IVReason.ABOVE_UPPER,
        IVReason.ABOVE_UPPER,
        0,
        IVReason.BAD_INPUT,
    ]
    assert np.isnan(iv[[0, 1, 2, 3, 5]]).all()
    _, why = implied_vol_with_reason([5.0, 25.0], [120.0, 100.0], 100.0, [0.5, 0.0], r, q, True)
    assert why.tolist() == [IVReason.BELOW_INTRINSIC, IVReason.EXPIRED]


def test_quote_sides_and_reasons() -> None:
    q = quote_implied_vols([5.9, 0.0, 7.0, 1.0], [6.2, 6.0, 6.5, 0.0], 100.0, 100.0, 0.5, 0.03, 0.01, True)
    assert q.reason.tolist() == [IVReason.OK, IVReason.NO_BID, IVReason.CROSSED, IVReason.NO_ASK]
    assert q.bid[0] < q.mid[0] < q.ask[0]
    assert q.reason_bid.tolist()[1] == IVReason.NO_BID and q.reason_ask.tolist()[3] == IVReason.NO_ASK


def test_scalar_entry_point() -> None:
    price = float(bs_greeks(100.0, 95.0, 0.25, 0.03, 0.01, 0.3, False).price)
    assert implied_vol_one(price, 100.0, 95.0, 0.25, 0.03, 0.01, False) == pytest.approx(0.3, abs=1e-12)
    assert IVReason.BELOW_INTRINSIC.label == "price below intrinsic value"
