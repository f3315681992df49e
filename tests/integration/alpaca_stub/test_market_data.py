"""Market data through the SDK's historical clients: bars, option chain snapshots, news, contracts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from alpaca.common.exceptions import APIError
from alpaca.data.historical import OptionHistoricalDataClient, StockHistoricalDataClient
from alpaca.data.historical.news import NewsClient
from alpaca.data.requests import NewsRequest, OptionChainRequest, StockBarsRequest
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import ContractType
from alpaca.trading.requests import GetOptionContractsRequest

from optionpilot.adapters.alpaca_stub.server import RunningStub

KEY, SECRET = "PKTESTKEY", "test-secret-not-real"


@pytest.fixture
def later_stub(stub_factory: Callable[..., RunningStub]) -> RunningStub:
    # An hour into the first session, so there are minute bars and news to serve.
    return stub_factory(minutes_after_open=60.0)


def test_minute_and_daily_bars_never_after_the_clock(
    later_stub: RunningStub, client_for: Callable[[RunningStub], TradingClient]
) -> None:
    data = StockHistoricalDataClient(KEY, SECRET, url_override=later_stub.url)
    now = client_for(later_stub).get_clock().timestamp
    minute = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols=["SPY", "QQQ"], timeframe=TimeFrame.Minute)
    )
    spy = minute.data["SPY"]
    assert len(spy) >= 55 and len(minute.data["QQQ"]) == len(spy)
    assert all(b.timestamp + timedelta(minutes=1) <= now for b in spy)
    assert all(b.low <= b.close <= b.high for b in spy)
    five = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame(5, TimeFrameUnit.Minute))
    )
    assert sum(b.volume for b in five.data["SPY"]) == pytest.approx(sum(b.volume for b in spy))
    daily = data.get_stock_bars(
        StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Day, start=now - timedelta(days=30))
    )
    days = [b.timestamp.date() for b in daily.data["SPY"]]
    assert len(days) >= 15 and days == sorted(days) and days[-1] < now.date()


def test_option_chain_snapshots_with_quotes_and_greeks(later_stub: RunningStub) -> None:
    options = OptionHistoricalDataClient(KEY, SECRET, url_override=later_stub.url)
    chain = options.get_option_chain(OptionChainRequest(underlying_symbol="SPY", type=ContractType.CALL))
    assert len(chain) > 100
    priced = [s for s in chain.values() if s.greeks is not None]
    assert len(priced) > len(chain) // 2
    for snap in priced:
        q = snap.latest_quote
        assert q is not None and 0 <= q.bid_price <= q.ask_price and q.ask_price > 0
        assert 0 <= snap.greeks.delta <= 1 and snap.implied_volatility > 0  # calls
        assert "C" in snap.symbol[-9:]


def test_news_and_contracts(
    later_stub: RunningStub, client_for: Callable[[RunningStub], TradingClient]
) -> None:
    news = NewsClient(KEY, SECRET, url_override=later_stub.url).get_news(NewsRequest(symbols="SPY,AAPL"))
    items = news.data["news"]
    assert items and all({"SPY", "AAPL"} & set(n.symbols) for n in items)
    client = client_for(later_stub)
    now = client.get_clock().timestamp
    assert all(n.created_at <= now for n in items)
    contracts = client.get_option_contracts(
        GetOptionContractsRequest(underlying_symbols=["QQQ"], type=ContractType.PUT, limit=50)
    )
    found = contracts.option_contracts or []
    assert len(found) == 50 and contracts.next_page_token is not None
    assert {c.type for c in found} == {ContractType.PUT} and {c.underlying_symbol for c in found} == {"QQQ"}
    one = client.get_option_contract(found[0].symbol)
    assert one.symbol == found[0].symbol and one.strike_price == found[0].strike_price


def test_unknown_symbol_is_an_api_error(later_stub: RunningStub) -> None:
    data = StockHistoricalDataClient(KEY, SECRET, url_override=later_stub.url)
    with pytest.raises(APIError) as err:
        data.get_stock_bars(StockBarsRequest(symbol_or_symbols="NOPE", timeframe=TimeFrame.Minute))
    assert err.value.status_code == 422


def test_snapshots_carry_the_days_volume_as_alpacas_daily_bar(later_stub: RunningStub) -> None:
    options = OptionHistoricalDataClient(KEY, SECRET, url_override=later_stub.url, raw_data=True)
    raw = options.get_option_chain(OptionChainRequest(underlying_symbol="SPY", type=ContractType.PUT))
    bars = [doc["dailyBar"] for doc in raw.values() if "dailyBar" in doc]  # type: ignore[union-attr]
    assert bars and all(b["v"] > 0 and b["l"] <= b["c"] <= b["h"] for b in bars)
    assert len({b["t"] for b in bars}) == 1 and bars[0]["t"].endswith(
        ("04:00:00.000000Z", "05:00:00.000000Z")
    )


def test_data_faults_answer_market_data_only(stub_factory: Callable[..., RunningStub]) -> None:
    from optionpilot.adapters.alpaca_stub.config import FaultName, FaultSpec

    stub = stub_factory(minutes_after_open=30.0, faults=(FaultSpec(name=FaultName.DATA_504),))
    data = StockHistoricalDataClient(KEY, SECRET, url_override=stub.url)
    data._retry = 0
    with pytest.raises(APIError) as err:
        data.get_stock_bars(StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute))
    assert err.value.status_code == 504
    assert TradingClient(KEY, SECRET, paper=True, url_override=stub.url).get_account().status is not None
    stub.state.broker.faults.set_rate(FaultName.DATA_504, 0.0)
    stub.state.broker.faults.set_rate(FaultName.DATA_429, 1.0)
    with pytest.raises(APIError) as err:
        data.get_stock_bars(StockBarsRequest(symbol_or_symbols="SPY", timeframe=TimeFrame.Minute))
    assert err.value.status_code == 429
