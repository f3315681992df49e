"""The Alpaca stub started in-process on a free loopback port, driven by the official SDK."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import GetOptionContractsRequest

from optionpilot.adapters.alpaca_stub.config import StubConfig
from optionpilot.adapters.alpaca_stub.server import RunningStub, first_sessions, start_in_thread

KEY = "PKTESTKEY"
SECRET = "test-secret-not-real"
# A guard against a hang, not a measure: every wait below ends as soon as its condition holds.
WAIT_LIMIT_SECONDS = 60.0

# Polls through the SDK stay under Alpaca's 200 requests a minute, which the stub enforces.
POLL_SECONDS = 0.35

StubFactory = Callable[..., RunningStub]


@pytest.fixture
def stub_factory() -> Iterator[StubFactory]:
    started: list[RunningStub] = []

    def start(minutes_after_open: float = 2.0, **overrides: Any) -> RunningStub:
        config = StubConfig(
            **{"port": 0, "api_key_id": KEY, "api_secret_key": SECRET, "speed": 60.0, **overrides}
        )
        if "start" not in overrides:
            first_open = first_sessions(config)[0].open
            config = config.model_copy(update={"start": first_open + timedelta(minutes=minutes_after_open)})
        stub = start_in_thread(config)
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.stop()


@pytest.fixture
def stub(stub_factory: StubFactory) -> RunningStub:
    return stub_factory()


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(POLL_SECONDS)


@pytest.fixture
def eventually() -> Callable[[Callable[[], Any], str], Any]:
    return wait_for


def _client(stub: RunningStub) -> TradingClient:
    client = TradingClient(KEY, SECRET, paper=True, url_override=stub.url)
    # The SDK sleeps 3 s between its own retries of a 429/504; the retries are what the tests look at,
    # the sleep only slows them down.
    client._retry_wait = 0
    return client


@pytest.fixture
def client_for() -> Callable[[RunningStub], TradingClient]:
    return _client


@pytest.fixture
def client(stub: RunningStub) -> TradingClient:
    return _client(stub)


def _pick(client: TradingClient, underlying: str, kind: str, moneyness: float, min_days: int) -> str:
    """An option symbol about `moneyness` x spot in strike, expiring at least `min_days` ahead."""
    clock = client.get_clock()
    after = (clock.timestamp.date() + timedelta(days=min_days)).isoformat()
    req = GetOptionContractsRequest(
        underlying_symbols=[underlying], expiration_date_gte=after, type=kind, limit=10_000
    )
    contracts = client.get_option_contracts(req).option_contracts or []
    expiry = min(c.expiration_date for c in contracts)
    same = [c for c in contracts if c.expiration_date == expiry]
    strikes = sorted(c.strike_price for c in same)
    target = strikes[len(strikes) // 2] * moneyness
    return min(same, key=lambda c: abs(c.strike_price - target)).symbol


@pytest.fixture
def pick() -> Callable[..., str]:
    return _pick


class StreamListener:
    """The SDK's TradingStream on its own thread, collecting every trade update it parses."""

    def __init__(self, stub: RunningStub) -> None:
        from alpaca.trading.stream import TradingStream

        self.stub = stub
        self.updates: list[Any] = []
        self.stream = TradingStream(KEY, SECRET, paper=True, url_override=stub.stream_url)

        async def handler(update: Any) -> None:
            self.updates.append(update)

        self.stream.subscribe_trade_updates(handler)
        self.thread = threading.Thread(target=self.stream.run, daemon=True)
        self.thread.start()
        wait_for(lambda: stub.state.hub.listeners == 1, "the stream listening")

    def events(self, order_id: Any) -> list[str]:
        return [u.event.value if hasattr(u.event, "value") else u.event for u in self.of(order_id)]

    def of(self, order_id: Any) -> list[Any]:
        return [u for u in list(self.updates) if str(u.order.id) == str(order_id)]

    def stop(self) -> None:
        if self.stream._loop is not None:
            self.stream.stop()
        # Closing from the stub's side wakes the SDK's receive at once (it polls its stop flag every 5 s).
        self.stub.call(self.stub.state.hub.close_all())
        self.thread.join(WAIT_LIMIT_SECONDS)


@pytest.fixture
def listen() -> Iterator[Callable[[RunningStub], StreamListener]]:
    listeners: list[StreamListener] = []

    def start(stub: RunningStub) -> StreamListener:
        listener = StreamListener(stub)
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        listener.stop()
