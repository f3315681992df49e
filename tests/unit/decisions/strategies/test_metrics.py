"""Payoff facts against hand-worked cases, against the pricing library, and POP/EV against Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optionpilot.decisions.strategies.legs import CALL, PUT, STOCK
from optionpilot.decisions.strategies.metrics import expiry_profile
from optionpilot.pricing.payoff import Leg, payoff_at_expiry, summarize
from optionpilot.pricing.probability import expected_value, prob_profit

CODE = {"C": CALL, "P": PUT, "S": STOCK}


def profile(
    legs: list[tuple[str, float, float]],
    debit: float,
    spot: float = 100.0,
    T: float = 0.25,
    sigma: float = 0.2,
    drift: float = 0.0,
):
    k = np.array([[x[1] for x in legs]])
    code = np.array([[CODE[x[0]] for x in legs]], dtype=np.int8)
    q = np.array([[x[2] for x in legs]])
    return expiry_profile(k, code, q, np.array([debit]), spot, np.array([T]), np.array([sigma]), drift)


def bes(p) -> list[float]:
    return [round(float(x), 6) for x in p.breakevens[0] if np.isfinite(x)]


# (name, legs (right, strike, signed qty), net debit per share, max profit, max loss, breakevens); per share
HAND = [
    ("bull call 100/110 for 4", [("C", 100, 1), ("C", 110, -1)], 4.0, 6.0, 4.0, [104.0]),
    ("bear put 110/100 for 3", [("P", 110, 1), ("P", 100, -1)], 3.0, 7.0, 3.0, [107.0]),
    ("bull put 95/100 for 1.5 credit", [("P", 95, 1), ("P", 100, -1)], -1.5, 1.5, 3.5, [98.5]),
    ("bear call 105/110 for 2 credit", [("C", 105, -1), ("C", 110, 1)], -2.0, 2.0, 3.0, [107.0]),
    (
        "iron condor 90/95/105/110 for 2",
        [("P", 90, 1), ("P", 95, -1), ("C", 105, -1), ("C", 110, 1)],
        -2.0,
        2.0,
        3.0,
        [93.0, 107.0],
    ),
    (
        "iron fly 90/100/100/110 for 6",
        [("P", 90, 1), ("P", 100, -1), ("C", 100, -1), ("C", 110, 1)],
        -6.0,
        6.0,
        4.0,
        [94.0, 106.0],
    ),
    (
        "call fly 95/100/105 for 1.5",
        [("C", 95, 1), ("C", 100, -2), ("C", 105, 1)],
        1.5,
        3.5,
        1.5,
        [96.5, 103.5],
    ),
    ("put fly 95/100/105 for 1", [("P", 95, 1), ("P", 100, -2), ("P", 105, 1)], 1.0, 4.0, 1.0, [96.0, 104.0]),
    ("covered call: shares at 100, 105 call for 2", [("S", 0, 1), ("C", 105, -1)], 98.0, 7.0, 98.0, [98.0]),
    ("cash-secured put 95 for 1.2", [("P", 95, -1)], -1.2, 1.2, 93.8, [93.8]),
    ("long put 100 for 3", [("P", 100, 1)], 3.0, 97.0, 3.0, [97.0]),
    ("put ratio buy 100, sell 2 x 90, 1 credit", [("P", 100, 1), ("P", 90, -2)], -1.0, 11.0, 79.0, [79.0]),
]


@pytest.mark.parametrize(("name", "legs", "debit", "mp", "ml", "be"), HAND, ids=[h[0] for h in HAND])
def test_hand_worked(name: str, legs, debit: float, mp: float, ml: float, be: list[float]) -> None:
    p = profile(legs, debit)
    assert float(p.max_profit[0]) == pytest.approx(mp)
    assert float(p.max_loss[0]) == pytest.approx(ml)
    assert bes(p) == pytest.approx(be)


def test_unbounded() -> None:
    straddle = profile([("P", 100, 1), ("C", 100, 1)], 8.0)
    assert math.isinf(straddle.max_profit[0]) and straddle.max_loss[0] == pytest.approx(8.0)
    assert bes(straddle) == pytest.approx([92.0, 108.0])
    strangle = profile([("P", 95, -1), ("C", 105, -1)], -3.0)
    assert math.isinf(strangle.max_loss[0]) and strangle.max_profit[0] == pytest.approx(3.0)
    assert bes(strangle) == pytest.approx([92.0, 108.0])
    ratio = profile([("C", 100, 1), ("C", 110, -2)], 1.0)
    assert math.isinf(ratio.max_loss[0]) and ratio.max_profit[0] == pytest.approx(9.0)
    assert bes(ratio) == pytest.approx([101.0, 119.0])


def _pricing_legs(legs: list[tuple[str, float, float]], debit: float) -> list[Leg]:
    # The pricing library wants premiums per leg: a worthless extra put carries the whole debit.
    out = [Leg(r, k if r != "S" else 0.0, q, 0.0, multiplier=1.0) for r, k, q in legs]
    out.append(
        Leg("P", 1e-9, 1.0 if debit >= 0 else -1.0, abs(debit), multiplier=1.0)
    )  # a worthless put carries the debit
    return out


@pytest.mark.parametrize("case", HAND, ids=[h[0] for h in HAND])
def test_agrees_with_pricing_library(case) -> None:
    _, legs, debit, *_ = case
    ref = summarize(_pricing_legs(legs, debit))
    p = profile(legs, debit)
    assert float(p.max_profit[0]) == pytest.approx(ref.max_profit)
    assert float(p.max_loss[0]) == pytest.approx(ref.max_loss)
    ref_pop = prob_profit(_pricing_legs(legs, debit), 100.0, 0.25, 0.2)
    assert float(p.pop[0]) == pytest.approx(ref_pop, abs=1e-9)
    ref_ev = expected_value(_pricing_legs(legs, debit), 100.0, 0.25, 0.2)
    assert float(p.expected_value[0]) == pytest.approx(ref_ev, abs=1e-6)


@pytest.mark.parametrize(
    "case", [*HAND, ("straddle", [("P", 100, 1), ("C", 100, 1)], 8.0, 0, 0, [])], ids=lambda c: c[0]
)
def test_pop_and_ev_against_monte_carlo(case) -> None:
    _, legs, debit, *_ = case
    spot, T, sigma, drift = 100.0, 0.25, 0.2, 0.03
    rng = np.random.default_rng(7)
    z = rng.standard_normal(400_000)
    st = spot * np.exp((drift - 0.5 * sigma**2) * T + sigma * math.sqrt(T) * z)
    pnl = payoff_at_expiry(_pricing_legs(legs, debit), st)
    p = profile(legs, debit, spot, T, sigma, drift)
    assert float(p.pop[0]) == pytest.approx(float((pnl > 0).mean()), abs=0.004)
    assert float(p.expected_value[0]) == pytest.approx(
        float(pnl.mean()), abs=0.05 + 0.01 * abs(float(pnl.mean()))
    )


def test_many_at_once_match_one_by_one() -> None:
    rng = np.random.default_rng(3)
    n = 200
    k = np.sort(rng.uniform(80, 120, (n, 4)), axis=1)
    q = rng.choice([-2.0, -1.0, 1.0, 2.0], (n, 4))
    code = rng.choice([PUT, CALL], (n, 4)).astype(np.int8)
    debit = rng.uniform(-5, 5, n)
    p = expiry_profile(k, code, q, debit, 100.0, np.full(n, 0.2), np.full(n, 0.3))
    for i in range(0, n, 17):
        legs = [("C" if code[i, j] == CALL else "P", float(k[i, j]), float(q[i, j])) for j in range(4)]
        one = profile(legs, float(debit[i]), T=0.2, sigma=0.3)
        assert p.max_profit[i] == pytest.approx(one.max_profit[0])
        assert p.max_loss[i] == pytest.approx(one.max_loss[0])
        assert p.pop[i] == pytest.approx(one.pop[0])
        ref = summarize(_pricing_legs(legs, float(debit[i])))
        assert p.max_loss[i] == pytest.approx(ref.max_loss)
