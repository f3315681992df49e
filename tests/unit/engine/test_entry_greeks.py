"""Greeks and IV of a position at entry: one unit, in shares and currency, IV of the leg nearest the money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from optionpilot.core.clock import SimulatedClock
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Stock, Underlying
from optionpilot.domain.orders import OrderLeg, Side
from optionpilot.engine.entries.greeks import entry_greeks
from optionpilot.engine.marks import option_greeks_full, option_greeks_one
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY", asset_class=AssetClass.ETF)
NOW = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
EXPIRY = date(2026, 12, 18)
CALL = OptionContract("SPY", EXPIRY, Decimal(585), OptionRight.CALL)
SHORT = OptionContract("SPY", EXPIRY, Decimal(570), OptionRight.PUT)
LONG = OptionContract("SPY", EXPIRY, Decimal(565), OptionRight.PUT)


@pytest.fixture
def market() -> StaticMarket:
    m = StaticMarket(SimulatedClock(NOW), [SPY], rate=0.04)
    m.set_spot("SPY", 580.0)
    m.set_quote(CALL, "9.80", "10.20")
    m.set_quote(SHORT, "7.90", "8.10")
    m.set_quote(LONG, "6.40", "6.60")
    return m


def test_a_long_call_carries_one_contract_of_the_option_greeks(market: StaticMarket) -> None:
    g = entry_greeks(market, (OrderLeg(CALL, Side.BUY),), NOW)
    assert g is not None
    delta, theta = option_greeks_one(market, CALL, 10.0, NOW)
    full = option_greeks_full(market, CALL, 10.0, NOW)
    assert delta is not None and theta is not None and full is not None
    assert g.delta == pytest.approx(delta * 100) and 40 < g.delta < 60
    assert g.theta == pytest.approx(theta * 100) and g.theta < 0
    assert g.vega == pytest.approx(full[1])  # per vol point x 100 shares = per 1.00 of vol
    assert 0.05 < g.iv < 0.5


def test_a_put_credit_spread_nets_its_legs_and_takes_the_iv_of_the_leg_nearest_the_money(
    market: StaticMarket,
) -> None:
    legs = (OrderLeg(LONG, Side.BUY), OrderLeg(SHORT, Side.SELL))
    g = entry_greeks(market, legs, NOW)
    short = entry_greeks(market, (OrderLeg(SHORT, Side.SELL),), NOW)
    long = entry_greeks(market, (OrderLeg(LONG, Side.BUY),), NOW)
    assert g is not None and short is not None and long is not None
    assert g.delta == pytest.approx(short.delta + long.delta) and g.delta > 0  # bullish
    assert g.theta == pytest.approx(short.theta + long.theta) and g.theta > 0  # collects decay
    assert g.vega == pytest.approx(short.vega + long.vega) and g.vega < 0
    assert g.iv == pytest.approx(short.iv) and g.iv != pytest.approx(long.iv)  # 570 is nearer 580


def test_ratio_and_shares_count(market: StaticMarket) -> None:
    single = entry_greeks(market, (OrderLeg(CALL, Side.SELL),), NOW)
    covered = entry_greeks(market, (OrderLeg(Stock("SPY"), Side.BUY, 100), OrderLeg(CALL, Side.SELL, 2)), NOW)
    assert single is not None and covered is not None
    assert covered.delta == pytest.approx(100 + 2 * single.delta)


def test_shares_alone_have_a_delta_and_no_iv(market: StaticMarket) -> None:
    g = entry_greeks(market, (OrderLeg(Stock("SPY"), Side.SELL),), NOW)
    assert g is not None and (g.delta, g.theta, g.vega, g.iv) == (-1.0, 0.0, 0.0, None)


def test_no_quote_or_no_iv_gives_none(market: StaticMarket) -> None:
    unlisted = OptionContract("SPY", EXPIRY, Decimal(600), OptionRight.CALL)
    assert entry_greeks(market, (OrderLeg(unlisted, Side.BUY),), NOW) is None
    below_intrinsic = OptionContract("SPY", EXPIRY, Decimal(500), OptionRight.CALL)
    market.set_quote(below_intrinsic, "10.00", "10.20")  # 80 in the money: no implied vol
    assert entry_greeks(market, (OrderLeg(below_intrinsic, Side.BUY),), NOW) is None
