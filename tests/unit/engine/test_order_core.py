"""The order core against a scripted broker: each fill once, never beyond the order, late fills
applied, unknown send outcomes looked up before anything is sent again, fail closed on differences."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from optionpilot.core.calendars import Market
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import BrokerError, BrokerTimeout
from optionpilot.core.ids import AccountId, ClientOrderId, ExecutionId, FillId, IdMaker, PositionId
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.fills import BrokerEvent, Fill, OrderUpdate
from optionpilot.domain.incidents import IncidentKind
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, Side
from optionpilot.domain.positions import Position
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.engine.orders.reconciliation import reconcile
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition, MultiLegStyle
from optionpilot.ports.recorder import RunInfo, TickRecords

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
A = AccountId("a")
CALL = OptionContract("SPY", date(2026, 1, 16), Decimal(600), OptionRight.CALL)


class Broker:
    """A broker the test scripts: what it holds (orders, fills) and what it reports are separate."""

    def __init__(self) -> None:
        self._caps = BrokerCapabilities(
            "scripted", frozenset({Market.US}), MultiLegStyle.ATOMIC, 4, frozenset({OrderType.LIMIT})
        )
        self.sends: list[ClientOrderId] = []
        self.held: dict[ClientOrderId, Order] = {}
        self.fills: list[Fill] = []
        self.events: list[BrokerEvent] = []
        self.timeouts: list[bool] = []  # per send: True = received then timed out, False = lost

    @property
    def capabilities(self) -> BrokerCapabilities:
        return self._caps

    def submit(self, order: Order) -> None:
        self.sends.append(order.client_order_id)
        if order.client_order_id in self.held:
            raise BrokerError("duplicate client order id", broker="scripted")
        received = self.timeouts.pop(0) if self.timeouts else True
        if received:
            self.held[order.client_order_id] = order.transition(OrderStatus.ACCEPTED, T0)
        if self._timed_out:
            raise BrokerTimeout("no answer", broker="scripted")

    _timed_out = False

    def cancel(self, client_order_id: ClientOrderId) -> None:
        pass

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        pass

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        return self.held.get(client_order_id)

    def executions(self) -> Sequence[Fill]:
        return list(self.fills)

    def poll_events(self) -> Sequence[BrokerEvent]:
        out, self.events = self.events, []
        return out

    def account(self) -> AccountSnapshot:
        cash = Decimal(10_000) + sum((f.cash_flow for f in self.fills), start=Decimal(0))
        return AccountSnapshot(A, T0, cash, cash, cash)

    def positions(self) -> Sequence[BrokerPosition]:
        qty = sum(f.side.sign * f.quantity for f in self.fills)
        return [BrokerPosition(CALL.key, qty, Decimal(0))] if qty else []

    def open_orders(self) -> Sequence[Order]:
        return [o for o in self.held.values() if not o.is_terminal]

    def fill(self, cid: ClientOrderId, qty: int, execution: str) -> Fill:
        f = Fill(FillId(execution), cid, A, 0, CALL, Side.BUY, qty, Decimal("2.00"), Decimal("0.65"), T0,
                 execution_id=ExecutionId(execution))  # fmt: skip
        self.fills.append(f)
        return f


class Sink:
    def __init__(self) -> None:
        self.ticks: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None:
        pass

    def record(self, records: TickRecords) -> None:
        self.ticks.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None:
        pass


def setup() -> tuple[OrderManager, Broker, AccountBook]:
    broker = Broker()
    book = AccountBook(A, "USD", Decimal(10_000), T0)
    book.add_position(Position(PositionId("p1"), A, "SPY", "long_call", T0, "why"))
    om = OrderManager(A, broker, book, IdMaker("t"), SimulatedClock(T0), Journal(Sink()))
    return om, broker, book


def place(om: OrderManager, qty: int = 5) -> Order:
    leg = OrderLeg(CALL, Side.BUY)
    return om.place(
        (leg,), qty, position_id=PositionId("p1"), purpose="entry", reason="r", limit_price=Decimal(2)
    )


def test_a_fill_delivered_three_times_out_of_order_is_applied_once() -> None:
    om, broker, book = setup()
    o = place(om)
    f1, f2 = broker.fill(o.client_order_id, 2, "x1"), broker.fill(o.client_order_id, 3, "x2")
    broker.events = [f2, f1, f2, OrderUpdate(o.client_order_id, OrderStatus.FILLED, T0, "", 5), f1, f2]
    om.process_events()
    assert om.fills_applied == 2 and om.duplicate_fills == 3
    assert book.holdings() == {CALL.key: 5}
    assert om.orders[o.client_order_id].status is OrderStatus.FILLED
    assert (
        book.cash == broker.account().cash == sum((e.amount for e in book.ledger.entries), start=Decimal(0))
    )


def test_an_overfill_is_an_incident_never_a_position() -> None:
    om, broker, book = setup()
    o = place(om, qty=3)
    broker.events = [broker.fill(o.client_order_id, 2, "x1"), broker.fill(o.client_order_id, 2, "x2")]
    om.process_events()
    assert book.holdings() == {CALL.key: 2}
    assert [i.kind for i in om.incidents] == [IncidentKind.OVERFILL]
    assert om.orders[o.client_order_id].filled_quantity == 2


def test_a_fill_after_a_cancel_request_moves_the_order_on() -> None:
    om, broker, book = setup()
    o = place(om)
    om.cancel(o.client_order_id, "exit signal")
    assert om.orders[o.client_order_id].status is OrderStatus.PENDING_CANCEL
    broker.events = [broker.fill(o.client_order_id, 5, "x1")]
    om.process_events()
    assert om.orders[o.client_order_id].status is OrderStatus.FILLED
    assert book.holdings() == {CALL.key: 5} and om.fills_after_cancel_request == 1


def test_a_fill_on_a_canceled_order_is_applied_and_recorded() -> None:
    om, broker, book = setup()
    o = place(om)
    broker.events = [OrderUpdate(o.client_order_id, OrderStatus.CANCELED, T0, "canceled")]
    om.process_events()
    broker.held[o.client_order_id] = om.orders[o.client_order_id]
    broker.events = [broker.fill(o.client_order_id, 5, "x1")]
    om.process_events()
    assert om.orders[o.client_order_id].status is OrderStatus.FILLED  # as Nautilus: CANCELED + FILL
    assert book.holdings() == {CALL.key: 5}
    assert [i.kind for i in om.incidents] == [IncidentKind.FILL_AFTER_TERMINAL]


@pytest.mark.parametrize("received", [True, False], ids=["broker-has-it", "broker-lost-it"])
def test_an_unknown_send_outcome_is_looked_up_before_anything_is_sent_again(received: bool) -> None:
    om, broker, _ = setup()
    broker.timeouts = [received]
    broker._timed_out = True
    with_timeout = place(om)
    broker._timed_out = False
    om.process_events()
    cid = with_timeout.client_order_id
    # Received: adopted, never re-sent. Lost: re-sent once under the same client id.
    assert cid in broker.held and broker.held[cid].client_order_id == cid
    assert broker.sends.count(cid) == (1 if received else 2)
    assert not om.unknown_outcomes
    assert [i.kind for i in om.incidents] == [IncidentKind.UNKNOWN_OUTCOME]


def test_reconciliation_adopts_a_missed_fill_and_halts_on_what_it_cannot_explain() -> None:
    om, broker, book = setup()
    o = place(om)
    broker.fill(o.client_order_id, 5, "x-missed")  # the broker has it; we never heard
    report = reconcile(book, broker, orders=om)
    assert report.ok and book.holdings() == {CALL.key: 5} and om.halted is None
    assert IncidentKind.ADOPTED in [i.kind for i in om.incidents]
    broker.fill(ClientOrderId("not-ours"), 1, "x-stranger")
    report = reconcile(book, broker, orders=om)
    assert not report.ok and om.halted is not None and "not-ours" in om.halted
    sends = len(broker.sends)
    refused = place(om)
    assert refused.status is OrderStatus.REJECTED and "halted" in refused.status_reason
    assert len(broker.sends) == sends
