"""Each builder's legs, sides and ratios on a flat-vol chain; strike fallback; margin rules; calendar POP."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optionpilot.decisions.strategies.builder import ChainScan, MeasuredBatch, scan_chain
from optionpilot.decisions.strategies.candidates import materialize
from optionpilot.decisions.strategies.catalog import StrategyType as T
from optionpilot.decisions.strategies.chainview import prepare_chain, select_strike
from optionpilot.decisions.strategies.config import ScanConfig
from optionpilot.decisions.strategies.legs import STOCK_ROW
from optionpilot.decisions.strategies.margin import naked_requirement
from optionpilot.domain.instruments import AssetClass, Stock, Underlying
from optionpilot.domain.orders import Side
from optionpilot.pricing import bs_price

from .synthetic import STOCK, expiry, flat_chain


@pytest.fixture(scope="module")
def scan() -> ChainScan:
    return scan_chain(flat_chain(), ScanConfig(risk_free_rate=0.0))


def batch(scan: ChainScan, kind: T) -> MeasuredBatch:
    return next(b for b in scan.batches if b.batch.strategy is kind)


def legs_of(scan: ChainScan, mb: MeasuredBatch, i: int) -> list[tuple[str, float, float, int]]:
    """(right or S, strike, signed qty, days to expiry) per leg."""
    ch = scan.prepared.chain
    out = []
    for row, q in zip(mb.batch.rows[i], mb.batch.qty[i], strict=True):
        if row == STOCK_ROW:
            out.append(("S", 0.0, float(q), -1))
            continue
        d = int((ch.expiry[row] - np.datetime64(ch.ts.date(), "D")).astype(int))
        out.append(("C" if ch.is_call[row] else "P", float(ch.strike[row]), float(q), d))
    return out


def test_every_type_is_built(scan: ChainScan) -> None:
    assert scan.types() == set(T)
    assert scan.n_candidates > 250


STRUCTURE = {
    T.LONG_CALL: [("C", 1)],
    T.LONG_PUT: [("P", 1)],
    T.BULL_CALL_SPREAD: [("C", 1), ("C", -1)],
    T.BEAR_CALL_SPREAD: [("C", -1), ("C", 1)],
    T.BEAR_PUT_SPREAD: [("P", -1), ("P", 1)],
    T.BULL_PUT_SPREAD: [("P", 1), ("P", -1)],
    T.LONG_STRADDLE: [("P", 1), ("C", 1)],
    T.SHORT_STRADDLE: [("P", -1), ("C", -1)],
    T.LONG_STRANGLE: [("P", 1), ("C", 1)],
    T.SHORT_STRANGLE: [("P", -1), ("C", -1)],
    T.IRON_CONDOR: [("P", 1), ("P", -1), ("C", -1), ("C", 1)],
    T.IRON_BUTTERFLY: [("P", 1), ("P", -1), ("C", -1), ("C", 1)],
    T.LONG_CALL_BUTTERFLY: [("C", 1), ("C", -2), ("C", 1)],
    T.LONG_PUT_BUTTERFLY: [("P", 1), ("P", -2), ("P", 1)],
    T.COVERED_CALL: [("S", 1), ("C", -1)],
    T.CASH_SECURED_PUT: [("P", -1)],
    T.CALL_CALENDAR: [("C", -1), ("C", 1)],
    T.PUT_CALENDAR: [("P", -1), ("P", 1)],
    T.CALL_DIAGONAL: [("C", -1), ("C", 1)],
    T.PUT_DIAGONAL: [("P", -1), ("P", 1)],
    T.CALL_RATIO_SPREAD: [("C", 1), ("C", -2)],
    T.PUT_RATIO_SPREAD: [("P", 1), ("P", -2)],
}


@pytest.mark.parametrize("kind", list(T))
def test_legs_rights_sides_and_strike_order(scan: ChainScan, kind: T) -> None:
    mb = batch(scan, kind)
    for i in range(len(mb)):
        legs = legs_of(scan, mb, i)
        assert [(r, q) for r, _, q, _ in legs] == STRUCTURE[kind]
        k = [x[1] for x in legs]
        d = [x[3] for x in legs]
        if kind in (T.BULL_CALL_SPREAD, T.BEAR_CALL_SPREAD, T.BULL_PUT_SPREAD, T.BEAR_PUT_SPREAD):
            assert k[0] < k[1] and d[0] == d[1]
        elif kind in (T.LONG_STRANGLE, T.SHORT_STRANGLE):
            assert k[0] < k[1]
        elif kind in (T.LONG_STRADDLE, T.SHORT_STRADDLE):
            assert k[0] == k[1]
        elif kind is T.IRON_CONDOR:
            assert k[0] < k[1] < k[2] < k[3]
        elif kind is T.IRON_BUTTERFLY:
            assert k[0] < k[1] == k[2] < k[3]
        elif kind in (T.LONG_CALL_BUTTERFLY, T.LONG_PUT_BUTTERFLY):
            assert k[0] < k[1] < k[2]
            if not mb.batch.fallback[i]:
                assert k[1] - k[0] == k[2] - k[1]  # broken wings only where a strike was missing
        elif kind in (T.CALL_CALENDAR, T.PUT_CALENDAR):
            assert k[0] == k[1] and d[0] < d[1]
        elif kind is T.CALL_DIAGONAL:
            assert k[1] < k[0] and d[0] < d[1]
        elif kind is T.PUT_DIAGONAL:
            assert k[1] > k[0] and d[0] < d[1]
        elif kind is T.CALL_RATIO_SPREAD:
            assert k[0] < k[1]
        elif kind is T.PUT_RATIO_SPREAD:
            assert k[0] > k[1]
        elif kind is T.COVERED_CALL:
            assert k[1] >= 100.0
        elif kind is T.CASH_SECURED_PUT:
            assert k[0] <= 100.0
    # Inside the liquid ladder nothing needs a fallback; at its edges (no bid far out) some do.
    assert (~mb.batch.fallback).sum() > 0


def test_net_debit_buys_at_ask_and_sells_at_bid(scan: ChainScan) -> None:
    ch = scan.prepared.chain
    mb = batch(scan, T.IRON_CONDOR)
    i = 0
    rows, q = mb.batch.rows[i], mb.batch.qty[i]
    expected = sum(float(qq) * (ch.ask[r] if qq > 0 else ch.bid[r]) for r, qq in zip(rows, q, strict=True))
    assert mb.metrics.debit_natural[i] == pytest.approx(expected)
    mid = sum(float(qq) * (ch.bid[r] + ch.ask[r]) / 2 for r, qq in zip(rows, q, strict=True))
    assert mb.metrics.debit_mid[i] == pytest.approx(mid)
    assert mb.metrics.debit_natural[i] > mb.metrics.debit_mid[i]  # the natural price is the worse one


def test_vertical_payoff_in_currency(scan: ChainScan) -> None:
    mb = batch(scan, T.BULL_CALL_SPREAD)
    for i in range(0, len(mb), 7):
        (_, k1, _, _), (_, k2, _, _) = legs_of(scan, mb, i)
        d = mb.metrics.debit_natural[i]
        assert mb.metrics.max_profit[i] == pytest.approx((k2 - k1 - d) * 100)
        assert mb.metrics.max_loss[i] == pytest.approx(d * 100)
        assert mb.metrics.breakevens[i, 0] == pytest.approx(k1 + d)
        assert mb.margin[i] == pytest.approx(d * 100)  # defined risk: the max loss


def test_margin_rules(scan: ChainScan) -> None:
    csp = batch(scan, T.CASH_SECURED_PUT)
    for i in range(len(csp)):
        assert csp.margin[i] == pytest.approx(legs_of(scan, csp, i)[0][1] * 100)
    cc = batch(scan, T.COVERED_CALL)
    assert np.allclose(cc.margin, 100.0 * 100)
    ic = batch(scan, T.IRON_CONDOR)
    assert np.allclose(ic.margin, ic.metrics.max_loss)
    cal = batch(scan, T.CALL_CALENDAR)
    assert np.allclose(cal.margin, cal.metrics.debit_natural * 100)
    # Short straddle at 100, spot 100: Reg-T on the bigger side plus the other side's premium.
    ss = batch(scan, T.SHORT_STRADDLE)
    ch = scan.prepared.chain
    i = next(
        i for i in range(len(ss)) if legs_of(scan, ss, i)[0][1] == 100.0 and legs_of(scan, ss, i)[0][3] == 30
    )
    rp, rc = ss.batch.rows[i]
    put_req = ch.bid[rp] + max(0.2 * 100 - 0, 0.1 * 100)
    call_req = ch.bid[rc] + max(0.2 * 100 - 0, 0.1 * 100)
    hand = (max(put_req, call_req) + min(ch.bid[rp], ch.bid[rc])) * 100
    assert ss.margin[i] == pytest.approx(hand)
    # Far out of the money, the 10% floor applies: 20% x 100 - 25 OTM < 10% x 75.
    assert naked_requirement(100.0, np.array([75.0]), np.array([False]), np.array([0.1]))[0] == pytest.approx(
        7.6
    )


def test_diagonal_margin_adds_an_uncovered_gap() -> None:
    s = scan_chain(flat_chain(), ScanConfig(risk_free_rate=0.0))
    mb = batch(s, T.CALL_DIAGONAL)
    # Covered diagonals (far call below the near one) reserve just the debit.
    assert np.allclose(mb.margin, np.maximum(mb.metrics.debit_natural, 0) * 100)


def test_calendar_pop_and_ev_against_monte_carlo(scan: ChainScan) -> None:
    mb = batch(scan, T.CALL_CALENDAR)
    i = next(
        i for i in range(len(mb)) if legs_of(scan, mb, i)[0][1] == 100.0 and legs_of(scan, mb, i)[0][3] == 30
    )
    (_, k, _, d1), (_, _, _, d2) = legs_of(scan, mb, i)
    m = mb.metrics
    t1, tau = d1 / 365.0, (d2 - d1) / 365.0
    rng = np.random.default_rng(11)
    sigma = float(m.sigma[i])
    st = 100.0 * np.exp(-0.5 * sigma**2 * t1 + sigma * math.sqrt(t1) * rng.standard_normal(200_000))
    far_iv = float(scan.prepared.iv[mb.batch.rows[i][1]])
    pnl = (-np.maximum(st - k, 0) + bs_price(st, k, tau, 0.0, 0.0, far_iv, True) - m.debit_natural[i]) * 100
    assert m.pop[i] == pytest.approx(float((pnl > 0).mean()), abs=0.01)
    assert m.expected_value[i] == pytest.approx(float(pnl.mean()), abs=2.0)
    assert m.max_loss[i] <= m.debit_natural[i] * 100 + 1e-6  # a calendar never loses more than its debit
    assert m.two_expiry[i]


def test_greeks_are_the_sum_of_the_legs(scan: ChainScan) -> None:
    mb = batch(scan, T.LONG_STRADDLE)
    g = scan.prepared.greeks
    for i in range(len(mb)):
        rp, rc = mb.batch.rows[i]
        assert mb.metrics.delta[i] == pytest.approx((g.delta[rp] + g.delta[rc]) * 100)
        assert mb.metrics.vega[i] == pytest.approx(g.vega[rp] + g.vega[rc])  # x100 shares, / 100 per point
        assert mb.metrics.theta[i] < 0


def test_fallback_to_the_nearest_listed_strike_says_so() -> None:
    # 30-day 105 unlisted: a 100/105 bull call falls back to 100/110 and says so.
    chain = flat_chain(drop=((30, 105.0),), vol=0.35, half_spread=0.01)
    s = scan_chain(chain, ScanConfig(risk_free_rate=0.0))
    mb = batch(s, T.BULL_CALL_SPREAD)
    hit = [i for i in range(len(mb)) if mb.batch.fallback[i]]
    assert hit
    c = materialize(s, mb, hit[0])
    assert "nearest liquid" in c.reason
    d = select_strike(s.prepared, expiry(30), True, 105.0)
    assert d.ok and d.rule == "strategies.strike.fallback" and "105" in d.reason
    row = d.value
    assert row is not None and chain.strike[row] in (100.0, 110.0)
    exact = select_strike(s.prepared, expiry(30), True, 110.0)
    assert exact.rule == "strategies.strike.exact"
    none = select_strike(s.prepared, expiry(45), True, 110.0)
    assert not none.ok


def test_illiquid_rows_are_skipped_and_counted() -> None:
    chain = flat_chain()
    before = prepare_chain(chain, ScanConfig(risk_free_rate=0.0))
    atm = np.flatnonzero((chain.strike == 100.0) & chain.is_call)
    assert before.usable[atm].all()
    chain.bid[atm] = 0.0  # no bid: not a leg
    prep = prepare_chain(chain, ScanConfig(risk_free_rate=0.0))
    assert prep.skipped["no two-sided quote"] == before.skipped["no two-sided quote"] + atm.size
    assert not prep.usable[atm].any()


def test_covered_call_needs_a_tradeable_underlying() -> None:
    index = Underlying(symbol="IDX", asset_class=AssetClass.INDEX)
    s = scan_chain(flat_chain(underlying=index), ScanConfig(risk_free_rate=0.0))
    assert T.COVERED_CALL not in s.types()
    assert T.CASH_SECURED_PUT in s.types()


def test_materialized_candidate(scan: ChainScan) -> None:
    mb = batch(scan, T.COVERED_CALL)
    c = materialize(scan, mb, 0)
    assert isinstance(c.legs[0].instrument, Stock) and c.legs[0].ratio == 100 and c.legs[0].side is Side.BUY
    assert c.legs[1].side is Side.SELL and c.legs[1].instrument.key.startswith("XYZ")
    assert c.margin == 10_000 and c.max_profit is not None and c.max_loss is not None
    assert c.underlying == STOCK.symbol and c.dte == 30
    cc = materialize(scan, batch(scan, T.LONG_CALL), 0)
    assert cc.max_profit is None  # unlimited


def test_bad_spot_is_a_clear_error() -> None:
    from dataclasses import replace

    from optionpilot.core.errors import DataError

    with pytest.raises(DataError, match="spot"):
        prepare_chain(replace(flat_chain(), spot=float("nan")))
