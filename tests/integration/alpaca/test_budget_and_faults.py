"""Requests stay within Alpaca's budget under the engine's typical calls; faults give one line or a retry."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from optionpilot.adapters.alpaca.market_data import (
    EP_BARS,
    EP_CHAIN,
    EP_CONTRACTS,
    EP_NEWS,
    AlpacaMarketData,
)
from optionpilot.adapters.alpaca.settings import AlpacaEndpoints, AlpacaSettings
from optionpilot.adapters.alpaca.transport import RequestBudget
from optionpilot.adapters.alpaca_stub.config import FaultName, FaultSpec
from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError, MarketDataError

from .conftest import RigFactory

MINUTES = 8


def _on_the_clock(clock: SimulatedClock) -> RequestBudget:
    # Counted in simulated time: a test minute is a trading minute, however fast the test runs.
    return RequestBudget(190, seconds=lambda: clock.now().timestamp(), sleep=lambda s: None)


def test_a_stretch_of_typical_calls_stays_within_the_budget(rig_factory: RigFactory) -> None:
    rig = rig_factory(adapter={"chain_max_dte": 7}, budget=_on_the_clock)
    data, symbols = rig.data, [u.symbol for u in rig.data.underlyings()]
    assert len(symbols) == 10
    since = rig.clock.now()
    for _ in range(MINUTES):
        now = rig.advance(1)
        data.bars_between(since, now)
        data.news_between(since, now)
        for symbol in symbols:
            data.spot(symbol)
            chain = data.chain(symbol, max_dte=7)
            assert len(chain) > 0
            for i in (0, len(chain) // 2, len(chain) - 1):
                assert data.quote(chain.contract(i)) == chain.quote(i)
            data.chain(symbol, min_dte=1, max_dte=7)
            data.spot(symbol)
        since = now
    calls = data.requests.calls
    # One bars and one news request a minute for all symbols, one chain per symbol a minute (a page each
    # at this window), the open interest once a session: never one per quote or per spot.
    assert calls[EP_BARS] == MINUTES
    assert calls[EP_NEWS] == MINUTES
    assert calls[EP_CHAIN] == MINUTES * len(symbols)
    assert calls[EP_CONTRACTS] == len(symbols)
    assert rig.budget.sent == sum(calls.values())
    assert rig.budget.most_in_a_minute <= 2 + 2 * len(symbols) < 190
    assert rig.stub.state.limiter.refused == 0


def test_a_504_from_the_data_api_is_one_line_naming_the_endpoint(rig_factory: RigFactory) -> None:
    rig = rig_factory(faults=(FaultSpec(name=FaultName.DATA_504),))
    with pytest.raises(MarketDataError) as err:
        rig.data.spot("SPY")
    text = str(err.value)
    assert "\n" not in text and text.startswith(EP_BARS) and "HTTP 504" in text and "gateway timeout" in text
    assert err.value.status == 504


def test_a_429_is_retried_once_after_the_pause(rig_factory: RigFactory) -> None:
    seconds = [0.0]
    holder: list[object] = []

    def pause(wait: float) -> None:
        seconds[0] += wait
        rig = holder[0]
        rig.stub.state.broker.faults.set_rate(FaultName.DATA_429, 0.0)  # type: ignore[attr-defined]

    def budget(_: SimulatedClock) -> RequestBudget:
        return RequestBudget(190, seconds=lambda: seconds[0], sleep=pause)

    rig = rig_factory(faults=(FaultSpec(name=FaultName.DATA_429),), budget=budget)
    holder.append(rig)
    assert rig.data.spot("SPY") == rig.reference.spot("SPY")
    assert rig.data.requests.retried_429 == 1 and rig.budget.throttled == 1 and seconds[0] >= 0.5


def test_a_429_that_persists_is_one_line(rig_factory: RigFactory) -> None:
    def budget(_: SimulatedClock) -> RequestBudget:
        seconds = [0.0]

        def sleep(wait: float) -> None:
            seconds[0] += wait

        return RequestBudget(190, seconds=lambda: seconds[0], sleep=sleep)

    rig = rig_factory(faults=(FaultSpec(name=FaultName.DATA_429),), budget=budget)
    with pytest.raises(MarketDataError, match="HTTP 429") as err:
        rig.data.news_between(rig.clock.now() - timedelta(minutes=5), rig.clock.now())
    assert str(err.value).startswith(EP_NEWS) and rig.budget.throttled == 2


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield int(sock.getsockname()[1])
    sock.close()


def test_a_data_api_that_never_answers_is_a_timeout_line(silent_port: int) -> None:
    cal = calendar_for(Market.US)
    day = cal.session(date(2025, 3, 4))
    clock = SimulatedClock(day.open + timedelta(minutes=30))
    settings = AlpacaSettings(
        key_id="K",
        secret_key="S",  # type: ignore[arg-type]
        endpoints=AlpacaEndpoints(data_url=f"http://127.0.0.1:{silent_port}", timeout_s=0.3),
    )
    data = AlpacaMarketData(settings, clock, RequestBudget(190), ["SPY"], cal)
    with pytest.raises(MarketDataError, match=r"no answer within 0\.3 s") as err:
        data.spot("SPY")
    assert str(err.value).startswith(EP_BARS) and "\n" not in str(err.value)


def test_an_unknown_feed_is_a_config_error() -> None:
    cal = calendar_for(Market.US)
    settings = AlpacaSettings(key_id="K", secret_key="S")  # type: ignore[arg-type]
    clock = SimulatedClock(cal.session(date(2025, 3, 4)).open)
    with pytest.raises(ConfigError, match=r"alpaca stock_feed 'nasdaq' is not one of: .*iex"):
        AlpacaMarketData(settings, clock, RequestBudget(190), ["SPY"], cal, stock_feed="nasdaq")
    with pytest.raises(ConfigError, match=r"alpaca option_feed 'cboe' is not one of: .*opra"):
        AlpacaMarketData(settings, clock, RequestBudget(190), ["SPY"], cal, option_feed="cboe")
    data = AlpacaMarketData(settings, clock, RequestBudget(190), ["SPY"], cal, stock_feed="iex")
    data.close()
