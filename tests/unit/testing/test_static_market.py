"""The in-memory market used by tests: values appear when the clock reaches them, never before."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.domain.instruments import OptionContract, OptionRight, Underlying
from optionpilot.domain.market import NewsItem
from optionpilot.ports.market_data import MarketData
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY")
T0 = datetime(2024, 6, 3, 13, 31, tzinfo=UTC)
MIN = timedelta(minutes=1)
CALL = OptionContract.for_underlying(SPY, date(2024, 6, 7), Decimal(530), OptionRight.CALL)
PUT = OptionContract.for_underlying(SPY, date(2024, 6, 28), Decimal(520), OptionRight.PUT)


def make() -> tuple[SimulatedClock, StaticMarket]:
    clock = SimulatedClock(T0)
    return clock, StaticMarket(clock, [SPY], rate=0.05, dividend_yields={"SPY": 0.013})


def test_it_is_a_market_data() -> None:
    _, market = make()
    source: MarketData = market
    assert source.calendar.info.calendar_code == "XNYS"
    assert [u.symbol for u in source.underlyings()] == ["SPY"]
    assert (source.risk_free_rate(date(2024, 6, 3), 30), source.dividend_yield("SPY")) == (0.05, 0.013)


def test_quotes_and_spots_appear_when_the_clock_reaches_them() -> None:
    clock, market = make()
    market.set_spot("SPY", 530.0)
    market.set_spot("SPY", 531.5, ts=T0 + 2 * MIN)  # scripted ahead
    market.set_quote(CALL, "2.00", "2.10", bid_size=5)
    market.set_quote(CALL, "2.20", "2.30", ts=T0 + MIN)
    assert market.spot("SPY") == 530.0
    q = market.quote(CALL)
    assert q is not None and (q.bid, q.ask, q.bid_size, q.ts) == (Decimal("2.00"), Decimal("2.10"), 5, T0)
    clock.advance_to(T0 + MIN)
    assert market.quote(CALL).bid == Decimal("2.20")  # type: ignore[union-attr]
    assert market.spot("SPY") == 530.0
    clock.advance_to(T0 + 2 * MIN)
    assert market.spot("SPY") == 531.5
    assert market.quote(PUT) is None
    market.delist(CALL)
    assert market.quote(CALL) is None


def test_bars_and_history_never_look_ahead() -> None:
    clock, market = make()
    market.set_spot("SPY", 530.0)
    market.set_spot("SPY", 531.0, ts=T0 + MIN)
    market.set_spot("SPY", 532.0, ts=T0 + 2 * MIN)
    clock.advance_to(T0 + MIN)
    with pytest.raises(LookAheadError):
        market.history("SPY", T0 + 2 * MIN, 5)
    with pytest.raises(LookAheadError):
        market.bars_between(T0, T0 + 2 * MIN)
    h = market.history("SPY", clock.now(), 5)
    assert list(h.close) == [530.0, 531.0]
    assert int(h.start_s[-1]) == int(T0.timestamp())  # a spot set at t closes the bar that started at t - 1m
    bars = market.bars_between(T0 - MIN, T0 + MIN)
    assert [(b.start, b.close) for b in bars] == [(T0 - MIN, 530.0), (T0, 531.0)]


def test_chain_holds_the_quoted_contracts_in_range() -> None:
    _, market = make()
    market.set_spot("SPY", 530.0)
    market.set_quote(CALL, "2.00", "2.10")
    market.set_quote(PUT, "3.00", "3.20")
    chain = market.chain("SPY", max_dte=10)
    assert len(chain) == 1 and chain.contract(0) == CALL
    assert chain.quote(0).ask == Decimal("2.10")
    assert len(market.chain("SPY", max_dte=60)) == 2
    with pytest.raises(DataError, match="QQQ"):
        market.chain("QQQ")


def test_daily_history_news_and_iv() -> None:
    clock, market = make()
    market.set_spot("SPY", 530.0)
    market.set_spot("SPY", 535.0, ts=T0 + 60 * MIN)
    next_day = datetime(2024, 6, 4, 13, 31, tzinfo=UTC)
    market.set_spot("SPY", 533.0, ts=next_day)
    clock.advance_to(next_day)
    daily = market.daily_history("SPY", date(2024, 6, 4), 5)
    assert (list(daily.open), list(daily.high), list(daily.close)) == ([530.0], [535.0], [535.0])
    assert market.sessions() == [date(2024, 6, 3), date(2024, 6, 4)]
    item = NewsItem("n1", T0 + MIN, "SPY up", "wire", ("SPY",))
    market.add_news(item)
    assert market.news_between(T0, next_day) == [item]
    with pytest.raises(LookAheadError):
        market.news_between(T0, next_day + MIN)
    market.set_atm_iv("SPY", date(2024, 5, 31), 0.14)
    market.set_atm_iv("SPY", date(2024, 6, 3), 0.15)
    assert list(market.atm_iv_history("SPY", date(2024, 6, 4), 1)) == [0.15]


def test_bad_input_is_named() -> None:
    _, market = make()
    with pytest.raises(DataError, match="no spot of SPY"):
        market.spot("SPY")
    with pytest.raises(DataError, match="QQQ is not an underlying"):
        market.set_spot("QQQ", 1.0)
    qqq = OptionContract.for_underlying(Underlying("QQQ"), date(2024, 6, 7), Decimal(450), OptionRight.CALL)
    with pytest.raises(DataError, match="QQQ"):
        market.set_quote(qqq, "1", "1.1")
    market.set_spot("SPY", 530.0, ts=T0 + MIN)
    with pytest.raises(ValueError, match="before the last one"):
        market.set_spot("SPY", 529.0)
