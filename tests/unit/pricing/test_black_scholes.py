"""Compiled prices and Greeks against the numpy reference, py_vollib, finite differences and parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionpilot.pricing import black_scholes as ref
from optionpilot.pricing import bs_greeks, bs_price, bs_price_one


def grid(n: int, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    S = rng.uniform(80, 120, n)
    K = rng.uniform(80, 120, n)
    T = np.exp(rng.uniform(math.log(1 / 365), math.log(3), n))
    r = rng.uniform(-0.01, 0.08, n)
    q = rng.uniform(0.0, 0.05, n)
    v = rng.uniform(0.05, 1.0, n)
    c = rng.random(n) < 0.5
    return S, K, T, r, q, v, c


def test_compiled_matches_reference_on_a_broad_grid() -> None:
    args = grid(50_000)
    fast, slow = bs_greeks(*args), ref.bs_greeks(*args)
    for name in fast._fields:
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-12, atol=1e-11, err_msg=name
        )
    np.testing.assert_allclose(bs_price(*args), slow.price, rtol=1e-13, atol=1e-12)


def test_parallel_path_matches_serial_path() -> None:
    args = grid(30_000, seed=3)
    a = bs_greeks(*args)
    b = np.array([bs_greeks(*(x[i : i + 1000] for x in args)).price for i in range(0, 30_000, 1000)]).ravel()
    np.testing.assert_array_equal(a.price, b)


def test_agrees_with_py_vollib_to_1e_9() -> None:
    vollib_bsm = pytest.importorskip("py_vollib.black_scholes_merton")
    vollib_greeks = pytest.importorskip("py_vollib.black_scholes_merton.greeks.analytical")
    S, K, T, r, q, v, c = grid(400, seed=11)
    g = bs_greeks(S, K, T, r, q, v, c)
    for i in range(S.size):
        flag = "c" if c[i] else "p"
        args = (flag, S[i], K[i], T[i], r[i], v[i], q[i])
        assert abs(g.price[i] - vollib_bsm.black_scholes_merton(*args)) < 1e-9
        assert abs(g.delta[i] - vollib_greeks.delta(*args)) < 1e-9
        assert abs(g.gamma[i] - vollib_greeks.gamma(*args)) < 1e-9
        assert abs(g.vega[i] / 100 - vollib_greeks.vega(*args)) < 1e-9  # py_vollib: per vol point
        assert abs(g.theta[i] / 365 - vollib_greeks.theta(*args)) < 1e-9  # py_vollib: per day
        assert abs(g.rho[i] / 100 - vollib_greeks.rho(*args)) < 1e-9  # py_vollib: per rate point


def test_greeks_match_finite_differences() -> None:
    S, K, T, r, q, v, c = grid(2_000, seed=5)
    g = bs_greeks(S, K, T, r, q, v, c)
    h = 1e-5 * S
    up, dn = bs_price(S + h, K, T, r, q, v, c), bs_price(S - h, K, T, r, q, v, c)
    np.testing.assert_allclose(g.delta, (up - dn) / (2 * h), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g.gamma, (up - 2 * g.price + dn) / (h * h), rtol=1e-3, atol=1e-5)
    dv = 1e-5
    np.testing.assert_allclose(
        g.vega,
        (bs_price(S, K, T, r, q, v + dv, c) - bs_price(S, K, T, r, q, v - dv, c)) / (2 * dv),
        atol=1e-5,
    )
    dt = 1e-6
    np.testing.assert_allclose(
        g.theta,
        -(bs_price(S, K, T + dt, r, q, v, c) - bs_price(S, K, T - dt, r, q, v, c)) / (2 * dt),
        atol=1e-3,
    )
    dr = 1e-6
    np.testing.assert_allclose(
        g.rho, (bs_price(S, K, T, r + dr, q, v, c) - bs_price(S, K, T, r - dr, q, v, c)) / (2 * dr), atol=1e-4
    )


@settings(max_examples=300, deadline=None)
@given(
    S=st.floats(1, 1000),
    K=st.floats(1, 1000),
    T=st.floats(1e-4, 10),
    r=st.floats(-0.05, 0.2),
    q=st.floats(0, 0.2),
    v=st.floats(0.01, 3),
)
def test_put_call_parity_and_bounds(S: float, K: float, T: float, r: float, q: float, v: float) -> None:
    call, put = bs_price(S, K, T, r, q, v, True), bs_price(S, K, T, r, q, v, False)
    fwd = S * math.exp(-q * T) - K * math.exp(-r * T)
    assert call - put == pytest.approx(fwd, abs=1e-9 * max(S, K))
    assert max(fwd, 0.0) - 1e-9 * S <= call <= S * math.exp(-q * T) + 1e-12
    assert max(-fwd, 0.0) - 1e-9 * K <= put <= K * math.exp(-r * T) + 1e-12


def test_edges_expiry_zero_vol_and_nan() -> None:
    g = bs_greeks(
        [110, 90, 100, 100, np.nan], 100, [0, 0, 0.5, 0.5, 0.5], 0.0, 0.0, [0.2, 0.2, 0.0, np.nan, 0.2], True
    )
    assert g.price[:3].tolist() == [10.0, 0.0, 0.0]
    assert g.delta[:2].tolist() == [1.0, 0.0]
    assert np.isnan(g.price[3]) and np.isnan(g.price[4])  # a missing input never becomes a number
    assert bs_price_one(100.0, 100.0, 0.5, 0.03, 0.01, 0.2, True) == pytest.approx(
        float(ref.bs_price(100, 100, 0.5, 0.03, 0.01, 0.2, True)), abs=1e-13
    )
    assert bs_price([[100.0], [110.0]], [90.0, 100.0, 110.0], 0.5, 0.03, 0.0, 0.2, True).shape == (2, 3)
