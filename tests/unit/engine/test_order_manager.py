from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from optionpilot.core.calendars import Market
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId, FillId, IdMaker, PositionId
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.fills import BrokerEvent, Fill, OrderUpdate
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionStatus
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition, MultiLegStyle
from optionpilot.ports.recorder import RunInfo, TickRecords

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
A = AccountId("a")
LONG = OptionContract("SPY", date(2026, 1, 16), Decimal(600), OptionRight.CALL)
SHORT = OptionContract("SPY", date(2026, 1, 16), Decimal(610), OptionRight.CALL)


class ScriptedBroker:
    """Records what it is sent; the test scripts what it reports back."""

    def __init__(self, style: MultiLegStyle, refuse: bool = False) -> None:
        self._caps = BrokerCapabilities(
            "scripted", frozenset({Market.US}), style, 4, frozenset({OrderType.MARKET, OrderType.LIMIT})
        )
        self.sent: list[Order] = []
        self.events: list[BrokerEvent] = []
        self.refuse = refuse

    @property
    def capabilities(self) -> BrokerCapabilities:
        return self._caps

    def submit(self, order: Order) -> None:
        if self.refuse:
            raise BrokerError("insufficient buying power", broker="scripted", code="403")
        self.sent.append(order)

    def cancel(self, client_order_id: ClientOrderId) -> None:
        pass

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        pass

    def poll_events(self) -> Sequence[BrokerEvent]:
        out, self.events = self.events, []
        return out

    def account(self) -> AccountSnapshot:
        return AccountSnapshot(A, T0, Decimal(0), Decimal(0), Decimal(0))

    def positions(self) -> Sequence[BrokerPosition]:
        return []

    def open_orders(self) -> Sequence[Order]:
        return []

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        return next((o for o in self.sent if o.client_order_id == client_order_id), None)

    def executions(self) -> Sequence[Fill]:
        return []

    def fill_all(self, order: Order, price: str) -> None:
        leg = order.legs[0]
        self.events.append(
            Fill(
                FillId(f"f{order.client_order_id}-{len(self.events)}"),
                order.client_order_id,
                A,
                0,
                leg.instrument,
                leg.side,
                order.quantity,
                Decimal(price),
                Decimal(0),
                T0,
                leg.effect,
            )
        )
        self.events.append(OrderUpdate(order.client_order_id, OrderStatus.FILLED, T0, "", order.quantity))


class NullRecorder:
    def __init__(self) -> None:
        self.ticks: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None:
        pass

    def record(self, records: TickRecords) -> None:
        self.ticks.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None:
        pass


RECORDERS: dict[int, NullRecorder] = {}


def setup(style: MultiLegStyle, refuse: bool = False) -> tuple[OrderManager, ScriptedBroker, AccountBook]:
    broker = ScriptedBroker(style, refuse)
    book = AccountBook(A, "USD", Decimal(10_000), T0)
    book.add_position(Position(PositionId("p1"), A, "SPY", "bull_call_spread", T0, "why"))
    recorder = NullRecorder()
    om = OrderManager(A, broker, book, IdMaker("t"), SimulatedClock(T0), Journal(recorder))
    RECORDERS[id(om)] = recorder
    return om, broker, book


def journaled(om: OrderManager) -> TickRecords:
    """What was stored before each send and what the tick holds since, in order."""
    out = TickRecords(ts=T0)
    for tick in [*RECORDERS[id(om)].ticks, om.journal.current]:
        out.orders.extend(tick.orders)
        out.rejections.extend(tick.rejections)
        out.position_events.extend(tick.position_events)
        out.incidents.extend(tick.incidents)
    return out


SPREAD = (OrderLeg(SHORT, Side.SELL), OrderLeg(LONG, Side.BUY))


def test_atomic_broker_gets_one_multi_leg_order_with_our_id_stored_first() -> None:
    om, broker, _ = setup(MultiLegStyle.ATOMIC)
    o = om.place(
        SPREAD, 2, position_id=PositionId("p1"), purpose="entry", reason="test", limit_price=Decimal("4.00")
    )
    assert len(broker.sent) == 1 and len(broker.sent[0].legs) == 2
    assert broker.sent[0].client_order_id == o.client_order_id
    statuses = [x.status for x in journaled(om).orders]
    assert statuses == [OrderStatus.NEW, OrderStatus.SUBMITTED]


def test_legged_broker_sends_buys_first_and_unwinds_a_failed_leg() -> None:
    om, broker, book = setup(MultiLegStyle.LEGGED)
    parent = om.place(
        SPREAD, 2, position_id=PositionId("p1"), purpose="entry", reason="test", limit_price=Decimal("4.00")
    )
    assert [o.legs[0].side for o in broker.sent] == [Side.BUY]
    first = broker.sent[0]
    assert first.parent_id == parent.client_order_id and first.quantity == 2
    broker.fill_all(first, "6.00")
    om.process_events()
    assert len(broker.sent) == 2 and broker.sent[1].legs[0].side is Side.SELL
    broker.events.append(OrderUpdate(broker.sent[1].client_order_id, OrderStatus.REJECTED, T0, "no margin"))
    om.process_events()
    assert om.orders[parent.client_order_id].status is OrderStatus.REJECTED
    unwind = broker.sent[2]
    assert unwind.purpose == "unwind" and unwind.legs[0].side is Side.SELL
    assert unwind.legs[0].instrument == LONG and unwind.legs[0].effect is PositionEffect.CLOSE
    assert any(r.rule == "legged.unwind" for r in journaled(om).rejections)
    broker.fill_all(unwind, "5.90")
    om.process_events()
    p = book.positions[PositionId("p1")]
    assert p.status is PositionStatus.CLOSED and p.is_flat
    assert book.cash == Decimal(10_000) - Decimal(20)  # bought at 6.00, sold at 5.90, 2 contracts


def test_a_refused_send_rejects_the_order_and_ends_the_opening_position() -> None:
    om, _, book = setup(MultiLegStyle.ATOMIC, refuse=True)
    o = om.place(
        (OrderLeg(LONG, Side.BUY),),
        1,
        position_id=PositionId("p1"),
        purpose="entry",
        reason="r",
        limit_price=Decimal("6.00"),
    )
    assert om.orders[o.client_order_id].status is OrderStatus.REJECTED
    assert "insufficient buying power" in om.orders[o.client_order_id].status_reason
    assert book.positions[PositionId("p1")].status is PositionStatus.CLOSED
    kinds = [e.kind for e in journaled(om).position_events]
    assert kinds == [PositionEventKind.ENTRY_FAILED]


def test_late_reports_are_ignored_not_applied() -> None:
    om, broker, _ = setup(MultiLegStyle.ATOMIC)
    o = om.place(
        (OrderLeg(LONG, Side.BUY),),
        1,
        position_id=PositionId("p1"),
        purpose="entry",
        reason="r",
        limit_price=Decimal("6.00"),
    )
    broker.fill_all(broker.sent[0], "6.00")
    om.process_events()
    broker.events.append(OrderUpdate(o.client_order_id, OrderStatus.CANCELED, T0, "late"))
    om.process_events()
    assert om.orders[o.client_order_id].status is OrderStatus.FILLED


def test_the_journal_always_stores_the_order_before_the_broker_sees_it() -> None:
    broker = ScriptedBroker(MultiLegStyle.ATOMIC)
    recorder = NullRecorder()
    seen_at_send: list[int] = []
    original = broker.submit

    def submit(order: Order) -> None:
        stored = [o for t in recorder.ticks for o in t.orders if o.client_order_id == order.client_order_id]
        seen_at_send.append(len(stored))
        original(order)

    broker.submit = submit  # type: ignore[method-assign]
    book = AccountBook(A, "USD", Decimal(10_000), T0)
    book.add_position(Position(PositionId("p1"), A, "SPY", "long_call", T0, "why"))
    journal = Journal(recorder)
    om = OrderManager(A, broker, book, IdMaker("t"), SimulatedClock(T0), journal)
    om.place((OrderLeg(LONG, Side.BUY),), 1, position_id=PositionId("p1"), purpose="entry", reason="r",
             limit_price=Decimal("6.00"))  # fmt: skip
    assert seen_at_send == [2]  # its NEW and SUBMITTED versions
    assert recorder.ticks[0].orders[-1].status is OrderStatus.SUBMITTED
