"""The Dhan stub started in-process on a free loopback port, driven by the official dhanhq SDK.

dhanhq 2.3.0 is built from a `DhanContext(client_id, access_token)`; its REST base is the attribute
`dhan_http.base_url` (default `https://api.dhan.co/v2`), which the tests point at the stub.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from dhanhq import DhanContext, OrderUpdate, dhanhq

from optionpilot.adapters.dhan_stub.config import DhanStubConfig
from optionpilot.adapters.dhan_stub.server import RunningDhanStub, first_sessions, start_in_thread

CLIENT_ID = "1100099001"
TOKEN = "test-token-not-real"
NIFTY_ID = 13
# A guard against a hang, not a measure: every wait below ends as soon as its condition holds.
WAIT_LIMIT_SECONDS = 60.0
POLL_SECONDS = 0.1

StubFactory = Callable[..., RunningDhanStub]


@pytest.fixture
def stub_factory() -> Iterator[StubFactory]:
    started: list[RunningDhanStub] = []

    def start(minutes_after_open: float = 2.0, **overrides: Any) -> RunningDhanStub:
        values = {"port": 0, "client_id": CLIENT_ID, "access_token": TOKEN, "speed": 60.0, **overrides}
        config = DhanStubConfig.model_validate(values)
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
def stub(stub_factory: StubFactory) -> RunningDhanStub:
    return stub_factory()


def sdk_for(stub: RunningDhanStub, client_id: str = CLIENT_ID, token: str = TOKEN) -> dhanhq:
    dhan = dhanhq(DhanContext(client_id, token))
    dhan.dhan_http.base_url = stub.url
    return dhan


@pytest.fixture
def dhan(stub: RunningDhanStub) -> dhanhq:
    return sdk_for(stub)


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(POLL_SECONDS)


def ok(answer: dict[str, Any]) -> Any:
    """The SDK's data of a success; the failure's remarks in the assertion otherwise."""
    assert answer["status"] == "success", answer["remarks"]
    return answer["data"]


def failed(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["status"] == "failure", answer
    remarks: dict[str, Any] = answer["remarks"]
    return remarks


@dataclass(frozen=True)
class Option:
    security_id: str
    strike: float
    bid: float
    ask: float


def options(dhan: dhanhq, picks: list[tuple[bool, int]], expiry_index: int = 0) -> list[Option]:
    """NIFTY options (call?, strikes from the money) from one read of the stub's chain through the SDK
    (Dhan allows one chain request per 3 s per expiry)."""
    expiry = ok(dhan.expiry_list(NIFTY_ID, "IDX_I"))["data"][expiry_index]
    chain = ok(dhan.option_chain(NIFTY_ID, "IDX_I", expiry))["data"]
    strikes = sorted(chain["oc"], key=float)
    atm = min(range(len(strikes)), key=lambda i: abs(float(strikes[i]) - chain["last_price"]))
    out = []
    for call, offset in picks:
        key = strikes[atm + offset]
        side = chain["oc"][key]["ce" if call else "pe"]
        out.append(Option(str(side["security_id"]), float(key), side["top_bid_price"], side["top_ask_price"]))
    return out


def near_the_money(dhan: dhanhq, *, call: bool = True, offset: int = 0, expiry_index: int = 0) -> Option:
    """A NIFTY option about `offset` strikes from the money."""
    return options(dhan, [(call, offset)], expiry_index)[0]


def buy(dhan: dhanhq, option: Option, qty: int = 75, price: float | None = None, **kw: Any) -> dict[str, Any]:
    limit = option.ask if price is None else price
    return dict(dhan.place_order(option.security_id, "NSE_FNO", "BUY", qty, "LIMIT", "INTRADAY", limit, **kw))


def sell(
    dhan: dhanhq, option: Option, qty: int = 75, price: float | None = None, **kw: Any
) -> dict[str, Any]:
    limit = option.bid if price is None else price
    return dict(
        dhan.place_order(option.security_id, "NSE_FNO", "SELL", qty, "LIMIT", "INTRADAY", limit, **kw)
    )


class UpdateListener:
    """The SDK's OrderUpdate on its own thread, collecting every `order_alert` it receives."""

    def __init__(self, stub: RunningDhanStub, token: str = TOKEN) -> None:
        self.stub = stub
        self.updates: list[dict[str, Any]] = []
        self.client = OrderUpdate(DhanContext(CLIENT_ID, token))
        self.client.order_feed_wss = stub.order_update_url
        self.client.on_update = self.updates.append
        self.thread = threading.Thread(target=self.client.connect_to_dhan_websocket_sync, daemon=True)
        self.thread.start()

    def statuses(self, order_id: str) -> list[str]:
        return [u["Data"]["Status"] for u in list(self.updates) if u["Data"]["OrderNo"] == order_id]

    def stop(self) -> None:
        # Closing from the stub's side ends the SDK's receive loop.
        self.stub.call(self.stub.state.updates.close_all())
        self.thread.join(WAIT_LIMIT_SECONDS)


@pytest.fixture
def listen() -> Iterator[Callable[[RunningDhanStub], UpdateListener]]:
    listeners: list[UpdateListener] = []

    def start(stub: RunningDhanStub) -> UpdateListener:
        listener = UpdateListener(stub)
        listeners.append(listener)
        wait_for(lambda: stub.state.updates.listeners >= len(listeners), "the order-update socket logged in")
        return listener

    yield start
    for listener in listeners:
        listener.stop()


class Kit:
    """The helpers above for the test modules (conftest is not importable under importlib mode)."""

    ok = staticmethod(ok)
    failed = staticmethod(failed)
    near_the_money = staticmethod(near_the_money)
    options = staticmethod(options)
    buy = staticmethod(buy)
    sell = staticmethod(sell)
    wait_for = staticmethod(wait_for)
    sdk_for = staticmethod(sdk_for)
    client_id = CLIENT_ID
    token = TOKEN
    nifty_id = NIFTY_ID


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
