"""Fixtures for the AlpacaBroker tests: the in-process stub (as in tests/integration/alpaca_stub), the
adapter pointed at it, domain orders on the stub's contracts, and an OrderManager around the adapter.

Imported by the test_broker_*.py modules (not a conftest, so another lane's conftest here cannot clash).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from alpaca.trading.client import TradingClient
from tests.integration.alpaca_stub.conftest import KEY, SECRET, _pick, wait_for

from optionpilot.adapters.alpaca.broker import AlpacaBroker
from optionpilot.adapters.alpaca.settings import KEY_ENV, SECRET_ENV, URL_ENV, alpaca_settings
from optionpilot.adapters.alpaca.transport import RequestBudget
from optionpilot.adapters.alpaca_stub.config import StubConfig
from optionpilot.adapters.alpaca_stub.server import RunningStub, first_sessions, start_in_thread
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker, PositionId
from optionpilot.domain.fills import BrokerEvent
from optionpilot.domain.instruments import Instrument
from optionpilot.domain.orders import Order, OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position
from optionpilot.domain.symbols import parse_occ
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.recorder import RunInfo, TickRecords

ACCOUNT = AccountId("alpaca-test")
POLL_SECONDS = 0.2
_ids = itertools.count(1)


def new_cid() -> ClientOrderId:
    return ClientOrderId(f"t-{next(_ids):06d}-{id(_ids) % 10_000:04d}")


class Harness:
    """One stub, the SDK client for looking at it, and adapters made against it."""

    def __init__(self, stub: RunningStub) -> None:
        self.stub = stub
        self.client = TradingClient(KEY, SECRET, paper=True, url_override=stub.url)
        self.client._retry = 0
        self.brokers: list[AlpacaBroker] = []

    @property
    def clock(self) -> SimulatedClock:
        return self.stub.state.broker.clock

    def broker(self, budget: RequestBudget | None = None, stream: bool = True, **table: Any) -> AlpacaBroker:
        env = {KEY_ENV: KEY, SECRET_ENV: SECRET, URL_ENV["trading_url"]: self.stub.url}
        settings = alpaca_settings(env, table)
        broker = AlpacaBroker(
            ACCOUNT, settings, budget or RequestBudget(190), self.clock, stream=stream, rest_poll_s=2.0
        )
        self.brokers.append(broker)
        broker.start()
        if stream:
            wait_for(lambda: self.stub.state.hub.listeners >= 1, "the adapter's stream listening")
        return broker

    def symbol(self, kind: str = "call", moneyness: float = 1.0, min_days: int = 7) -> str:
        return _pick(self.client, "SPY", kind, moneyness, min_days)

    def order(
        self,
        legs: list[tuple[str, Side, int]],
        qty: int,
        limit: str | None = None,
        effect: PositionEffect = PositionEffect.OPEN,
    ) -> Order:
        return Order(
            client_order_id=new_cid(),
            account_id=ACCOUNT,
            legs=tuple(OrderLeg(_instrument(s), side, ratio, effect) for s, side, ratio in legs),
            quantity=qty,
            order_type=OrderType.MARKET if limit is None else OrderType.LIMIT,
            created_at=self.clock.now(),
            limit_price=None if limit is None else Decimal(limit),
            position_id=PositionId("p1"),
        )

    def stub_order(self, cid: str) -> Any:
        return self.stub.state.broker.book.order_by_client_id(cid)


def _instrument(symbol: str) -> Instrument:
    return parse_occ(symbol)


def collect(broker: AlpacaBroker, until: Callable[[list[BrokerEvent]], bool], what: str) -> list[BrokerEvent]:
    """Poll the adapter until the events so far satisfy `until` (bounded; a guard, not a measure)."""
    events: list[BrokerEvent] = []

    def done() -> bool:
        events.extend(broker.poll_events())
        return until(events)

    wait_for(done, what)
    return events


def start_stub(minutes_after_open: float = 2.0, **overrides: Any) -> RunningStub:
    config = StubConfig(
        **{"port": 0, "api_key_id": KEY, "api_secret_key": SECRET, "speed": 60.0, **overrides}
    )
    if "start" not in overrides:
        first_open = first_sessions(config)[0].open
        config = config.model_copy(update={"start": first_open + timedelta(minutes=minutes_after_open)})
    return start_in_thread(config)


@contextlib.contextmanager
def harnesses() -> Iterator[Callable[..., Harness]]:
    """Make harnesses (a stub each, with `StubConfig` overrides); all stopped at the end. The test modules
    wrap this in their own fixtures, so no conftest is needed here."""
    made: list[Harness] = []

    def make(minutes_after_open: float = 2.0, **overrides: Any) -> Harness:
        h = Harness(start_stub(minutes_after_open, **overrides))
        made.append(h)
        return h

    try:
        yield make
    finally:
        for h in made:
            for b in h.brokers:
                b.close()
            h.stub.stop()


class NullRecorder:
    def __init__(self) -> None:
        self.ticks: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None:
        pass

    def record(self, records: TickRecords) -> None:
        self.ticks.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None:
        pass


def manager(broker: AlpacaBroker, clock: SimulatedClock, cash: Decimal) -> OrderManager:
    """The engine's order manager on the adapter, with one open position `p1` to put orders in."""
    now = clock.now()
    book = AccountBook(ACCOUNT, "USD", cash, now)
    book.add_position(Position(PositionId("p1"), ACCOUNT, "SPY", "test", now, "alpaca adapter test"))
    journal = Journal(NullRecorder())
    journal.begin(now)
    return OrderManager(ACCOUNT, broker, book, IdMaker("alpaca-test"), clock, journal)
