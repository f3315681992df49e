"""Black-76, parity, realized vol, IV rank, payoffs, probabilities, portfolio Greeks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optionpilot.core.errors import DataError
from optionpilot.pricing import bs_greeks, bs_price
from optionpilot.pricing.black76 import black76_greeks, black76_implied_vol, black76_price
from optionpilot.pricing.iv_rank import expected_move, iv_percentile, iv_rank
from optionpilot.pricing.parity import implied_forward
from optionpilot.pricing.payoff import Leg, payoff_at_expiry, payoff_before_expiry, summarize
from optionpilot.pricing.portfolio import portfolio_greeks
from optionpilot.pricing.probability import expected_value, prob_above, prob_profit, prob_touch
from optionpilot.pricing.realized_vol import close_to_close, garman_klass, parkinson, yang_zhang


def test_black76_is_bsm_on_the_forward_with_its_own_rho() -> None:
    F, K, T, r, v = 100.0, 95.0, 0.5, 0.04, 0.25
    p = float(black76_price(F, K, T, r, v, True))
    d1 = (math.log(F / K) + 0.5 * v * v * T) / (v * math.sqrt(T))
    n = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    assert p == pytest.approx(math.exp(-r * T) * (F * n(d1) - K * n(d1 - v * math.sqrt(T))), abs=1e-12)
    h = 1e-6
    fd = (float(black76_price(F, K, T, r + h, v, True)) - float(black76_price(F, K, T, r - h, v, True))) / (
        2 * h
    )
    assert float(black76_greeks(F, K, T, r, v, True).rho) == pytest.approx(fd, abs=1e-6)
    assert float(black76_implied_vol(p, F, K, T, r, True).iv) == pytest.approx(v, abs=1e-12)


def test_implied_forward_recovers_the_dividend_yield() -> None:
    S, T, r, q = 100.0, 0.5, 0.03, 0.015
    K = np.arange(80.0, 121.0, 5.0)
    call, put = bs_price(S, K, T, r, q, 0.25, True), bs_price(S, K, T, r, q, 0.25, False)
    fwd = implied_forward(K, call, put, S, T, r)
    assert fwd.forward == pytest.approx(S * math.exp((r - q) * T), rel=1e-12)
    assert fwd.dividend_yield == pytest.approx(q, abs=1e-10)
    with pytest.raises(DataError):
        implied_forward(K, np.zeros_like(K), put, S, T, r)


def test_realized_vol_estimators_recover_a_known_vol() -> None:
    rng = np.random.default_rng(4)
    sigma, n, steps = 0.3, 2000, 390
    dt = 1 / 252 / steps
    path = 100 * np.exp(np.cumsum(rng.normal(-0.5 * sigma**2 * dt, sigma * math.sqrt(dt), n * steps)))
    bars = path.reshape(n, steps)
    o, h, lo, c = bars[:, 0], bars.max(axis=1), bars.min(axis=1), bars[:, -1]
    assert close_to_close(c) == pytest.approx(sigma, rel=0.05)
    for est in (parkinson(h, lo), garman_klass(o, h, lo, c), yang_zhang(o, h, lo, c)):
        assert est == pytest.approx(sigma, rel=0.08)  # discrete sampling biases the range estimators low
    with pytest.raises(DataError):
        close_to_close([100.0])


def test_iv_rank_percentile_and_expected_move() -> None:
    hist = np.linspace(0.10, 0.30, 300)
    assert iv_rank(0.25, hist) == pytest.approx(100 * (0.25 - hist[-252]) / (0.30 - hist[-252]))
    assert iv_rank(0.2, hist, lookback=63) == 0.0
    assert iv_percentile(0.2, hist[-252:]) == pytest.approx(100 * np.mean(hist[-252:] < 0.2))
    assert expected_move(100.0, 0.365, 365.0) == pytest.approx(36.5)


def test_spread_summary_breakevens_and_bounds() -> None:
    bull = [Leg("C", 100, 1, 5.0), Leg("C", 110, -1, 2.0)]
    s = summarize(bull)
    assert s.breakevens == pytest.approx([103.0])
    assert (s.max_profit, s.max_loss, s.profit_unbounded, s.loss_unbounded) == (700.0, 300.0, False, False)
    naked = summarize([Leg("C", 100, -1, 3.0)])
    assert naked.loss_unbounded and naked.max_loss == math.inf and naked.max_profit == pytest.approx(300.0)
    condor = [Leg("P", 90, 1, 1.0), Leg("P", 95, -1, 2.0), Leg("C", 105, -1, 2.0), Leg("C", 110, 1, 1.0)]
    cs = summarize(condor)
    assert cs.breakevens == pytest.approx([93.0, 107.0]) and cs.max_profit == pytest.approx(200.0)
    assert cs.max_loss == pytest.approx(300.0)
    assert payoff_at_expiry(condor, [80.0, 100.0, 120.0]).tolist() == pytest.approx([-300.0, 200.0, -300.0])


def test_payoff_before_expiry_converges_to_expiry() -> None:
    legs = [Leg("C", 100, 1, 5.0, expiry_years=0.25, iv=0.3)]
    xs = np.array([90.0, 100.0, 110.0])
    np.testing.assert_allclose(payoff_before_expiry(legs, xs, 0.25, 0.02), payoff_at_expiry(legs, xs))
    assert np.all(payoff_before_expiry(legs, xs, 0.0, 0.02) > payoff_at_expiry(legs, xs))


def test_probabilities_against_monte_carlo() -> None:
    rng = np.random.default_rng(2)
    S, T, v, mu = 100.0, 0.5, 0.3, 0.05
    steps, paths = 2000, 4000
    dt = T / steps
    logp = np.cumsum(rng.normal((mu - 0.5 * v * v) * dt, v * math.sqrt(dt), (paths, steps)), axis=1)
    end = S * np.exp(logp[:, -1])
    assert float(prob_above(S, 110.0, T, v, mu)) == pytest.approx(np.mean(end > 110), abs=0.02)
    assert float(prob_touch(S, 115.0, T, v, mu)) == pytest.approx(
        np.mean(S * np.exp(logp.max(axis=1)) >= 115), abs=0.03
    )
    assert float(prob_touch(S, 88.0, T, v, mu)) == pytest.approx(
        np.mean(S * np.exp(logp.min(axis=1)) <= 88), abs=0.03
    )
    legs = [Leg("C", 100, 1, 8.0), Leg("C", 115, -1, 3.0)]
    pnl = payoff_at_expiry(legs, end)
    assert prob_profit(legs, S, T, v, mu) == pytest.approx(np.mean(pnl > 0), abs=0.02)
    assert expected_value(legs, S, T, v, mu) == pytest.approx(pnl.mean(), abs=30.0)


@settings(max_examples=100, deadline=None)
@given(level=st.floats(50, 200), v=st.floats(0.05, 1.0), T=st.floats(0.01, 2.0))
def test_touching_is_at_least_finishing_beyond(level: float, v: float, T: float) -> None:
    touch = float(prob_touch(100.0, level, T, v))
    beyond = (
        float(prob_above(100.0, level, T, v)) if level >= 100 else 1 - float(prob_above(100.0, level, T, v))
    )
    assert 0.0 <= beyond <= touch + 1e-12 <= 1.0 + 1e-12


def test_portfolio_greeks_sum_with_multipliers_and_lots() -> None:
    g = bs_greeks(100.0, [95.0, 105.0], 0.25, 0.03, 0.0, 0.25, [True, False])
    pg = portfolio_greeks([2, -3], [100, 100], 100.0, [95.0, 105.0], 0.25, 0.03, 0.0, 0.25, [True, False])
    assert pg.delta_shares == pytest.approx(200 * g.delta[0] - 300 * g.delta[1])
    assert pg.delta_currency == pytest.approx(pg.delta_shares * 100.0)
    assert pg.vega == pytest.approx((200 * g.vega[0] - 300 * g.vega[1]) / 100)
    nse = portfolio_greeks(1, 1, 25000.0, 25000.0, 0.05, 0.06, 0.0, 0.12, True, lot_size=75)
    assert nse.delta_shares == pytest.approx(
        75 * float(bs_greeks(25000.0, 25000.0, 0.05, 0.06, 0.0, 0.12, True).delta)
    )
    with pytest.raises(DataError):
        portfolio_greeks(1, 100, 100.0, 100.0, 0.25, 0.03, 0.0, np.nan, True)
