"""The DhanBroker against the in-process Dhan stub: the stub as tests/integration/dhan_stub starts it, a
security master from the stub's listed contracts, and domain orders on them.

Imported by the test modules (not a conftest, so another lane's conftest here cannot clash).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.dhan_stub.conftest import CLIENT_ID, TOKEN, Option, near_the_money, sdk_for, wait_for

from optionpilot.adapters.dhan.broker import DhanBroker
from optionpilot.adapters.dhan.request_budget import DhanBudget
from optionpilot.adapters.dhan.security_master import Listing, SecurityMaster
from optionpilot.adapters.dhan.settings import dhan_settings
from optionpilot.adapters.dhan_stub.config import DhanStubConfig
from optionpilot.adapters.dhan_stub.server import RunningDhanStub, first_sessions, start_in_thread
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.fills import BrokerEvent
from optionpilot.domain.orders import Order, OrderLeg, OrderType, Side

ACCOUNT = AccountId("dhan-test")
_ids = itertools.count(1)
__all__ = ["Harness", "Option", "harness_factory", "new_cid", "wait_for"]


def new_cid() -> ClientOrderId:
    return ClientOrderId(f"t-{next(_ids):06d}-{id(_ids) % 10_000:04d}")


class Harness:
    def __init__(self, stub: RunningDhanStub) -> None:
        self.stub = stub
        self.sdk = sdk_for(stub)
        broker = stub.state.broker
        listings = [
            Listing(x.security_id, x.contract, x.lot_size, x.tick) for x in broker.instruments.all_listed()
        ]
        self.master = SecurityMaster(listings, stub.state.broker.config.freeze_quantity)
        self.clock = SimulatedClock(datetime(2026, 1, 5, 4, 0, tzinfo=UTC))
        self.events: list[BrokerEvent] = []

    def broker(self, budget: DhanBudget | None = None, **kw: Any) -> DhanBroker:
        env = {"DHAN_CLIENT_ID": CLIENT_ID, "DHAN_ACCESS_TOKEN": TOKEN, "OPTIONPILOT_DHAN_URL": self.stub.url}
        settings = dhan_settings(env, {"timeout_s": kw.pop("timeout_s", 5.0)})
        return DhanBroker(ACCOUNT, settings, self.master, budget or DhanBudget(), self.clock, **kw)

    def option(self, *, call: bool = True, offset: int = 0) -> Option:
        return near_the_money(self.sdk, call=call, offset=offset)

    def order(self, opt: Option, side: Side, lots: int = 1, price: float | None = None) -> Order:
        listing = self.master.by_id(opt.security_id)
        assert listing is not None, opt
        limit = price if price is not None else (opt.ask if side is Side.BUY else opt.bid)
        return Order(
            client_order_id=new_cid(),
            account_id=ACCOUNT,
            legs=(OrderLeg(listing.contract, side),),
            quantity=lots,
            order_type=OrderType.LIMIT,
            created_at=self.clock.now(),
            limit_price=Decimal(str(limit)),
        )

    def poll_until(self, broker: DhanBroker, done: Callable[[list[BrokerEvent]], bool], what: str) -> None:
        def step() -> bool:
            self.events.extend(broker.poll_events())
            return done(self.events)

        wait_for(step, what)


@pytest.fixture
def harness_factory() -> Iterator[Callable[..., Harness]]:
    started: list[RunningDhanStub] = []

    def start(**overrides: Any) -> Harness:
        values = {"port": 0, "client_id": CLIENT_ID, "access_token": TOKEN, "speed": 60.0, **overrides}
        config = DhanStubConfig.model_validate(values)
        from datetime import timedelta

        config = config.model_copy(update={"start": first_sessions(config)[0].open + timedelta(minutes=2)})
        stub = start_in_thread(config)
        started.append(stub)
        return Harness(stub)

    yield start
    for stub in started:
        stub.stop()
