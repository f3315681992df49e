from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from optionpilot.core.ids import AccountId, ClientOrderId, FillId, PositionId
from optionpilot.domain.accounts import LedgerKind
from optionpilot.domain.fills import ExpirySettlement, Fill, SettlementKind
from optionpilot.domain.instruments import OptionContract, OptionRight, Settlement, Stock
from optionpilot.domain.orders import Order, OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionStatus
from optionpilot.engine.book import AccountBook

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
A = AccountId("acct")
CALL = OptionContract("SPY", date(2026, 1, 16), Decimal(600), OptionRight.CALL)


def order(pid: str, side: Side, qty: int, effect: PositionEffect, inst: object = CALL) -> Order:
    return Order(
        ClientOrderId(f"o-{pid}-{side}-{effect}"),
        A,
        (OrderLeg(inst, side, 1, effect),),  # type: ignore[arg-type]
        qty,
        OrderType.MARKET,
        T0,
        position_id=PositionId(pid),
        reason=f"{effect} reason",
    )


def fill(o: Order, qty: int, price: str, fee: str = "0.65") -> Fill:
    leg = o.legs[0]
    return Fill(
        FillId(f"f-{o.client_order_id}-{qty}-{price}"),
        o.client_order_id,
        A,
        0,
        leg.instrument,
        leg.side,
        qty,
        Decimal(price),
        Decimal(fee),
        T0,
        leg.effect,
    )


def new_book(*positions: str) -> AccountBook:
    book = AccountBook(A, "USD", Decimal(10_000), T0)
    for pid in positions:
        book.add_position(Position(PositionId(pid), A, "SPY", "long_call/day_trade", T0, "test"))
    return book


def test_round_trip_with_partial_exit_reconciles_to_the_cent() -> None:
    book = new_book("p1")
    buy = order("p1", Side.BUY, 10, PositionEffect.OPEN)
    _, ev = book.apply_fill(fill(buy, 10, "2.50", "6.50"), buy)
    assert ev[0].kind == PositionEventKind.OPENED
    assert book.cash == Decimal(10_000) - Decimal(2500) - Decimal("6.50")
    sell = order("p1", Side.SELL, 5, PositionEffect.CLOSE)
    _, ev = book.apply_fill(fill(sell, 5, "3.75", "3.25"), sell)
    assert ev[0].kind == PositionEventKind.REDUCED
    _, ev = book.apply_fill(fill(sell, 5, "2.00", "3.25"), sell)
    assert ev[0].kind == PositionEventKind.CLOSED
    p = book.positions[PositionId("p1")]
    assert p.status is PositionStatus.CLOSED
    assert p.realized_pnl == Decimal(5 * 125 - 5 * 50)  # +1.25 and -0.50 per share, 100 shares each
    assert p.fees == Decimal("13.00")
    assert book.cash == Decimal(10_000) + p.realized_pnl - p.fees
    assert book.ledger.total(LedgerKind.FEE) == Decimal("-13.00")


def test_cash_settled_index_option_pays_intrinsic() -> None:
    ndx = OptionContract(
        "NIFTY",
        date(2025, 7, 17),
        Decimal(25000),
        OptionRight.CALL,
        multiplier=75,
        settlement=Settlement.CASH,
    )
    book = new_book("p1")
    buy = order("p1", Side.BUY, 2, PositionEffect.OPEN, ndx)
    book.apply_fill(fill(buy, 2, "100", "0"), buy)
    s = ExpirySettlement(
        "s1", A, ndx, 2, SettlementKind.EXERCISED, Decimal(25150), Decimal(150 * 75 * 2), 0, T0
    )
    entries, events = book.apply_settlement(s)
    assert entries[0].kind is LedgerKind.CASH_SETTLEMENT and entries[0].amount == Decimal(22500)
    assert events[0].kind == PositionEventKind.EXERCISED
    p = book.positions[PositionId("p1")]
    assert p.status is PositionStatus.CLOSED and p.realized_pnl == Decimal((150 - 100) * 75 * 2)
    assert book.cash == Decimal(10_000) + p.realized_pnl


def test_physical_assignment_delivers_shares_at_the_strike() -> None:
    put = OptionContract("SPY", date(2026, 1, 16), Decimal(600), OptionRight.PUT)
    book = new_book("p1")
    sell = order("p1", Side.SELL, 1, PositionEffect.OPEN, put)
    book.apply_fill(fill(sell, 1, "3.00", "0"), sell)
    s = ExpirySettlement("s1", A, put, -1, SettlementKind.ASSIGNED, Decimal(590), Decimal(-60000), 100, T0)
    book.apply_settlement(s)
    p = book.positions[PositionId("p1")]
    assert p.legs["SPY"].quantity == 100 and p.legs["SPY"].avg_price == Decimal(600)
    assert p.status is PositionStatus.OPEN  # the shares are still held
    assert book.cash == Decimal(10_000) + Decimal(300) - Decimal(60000)
    assert book.holdings() == {"SPY": 100}
    assert book.equity({"SPY": Decimal(590)}) == book.cash + Decimal(59000)
    unknown = ExpirySettlement("s2", A, put, -1, SettlementKind.ASSIGNED, Decimal(590), Decimal(0), 0, T0)
    with pytest.raises(ValueError, match="exceeds the book's holding"):
        book.apply_settlement(unknown)


def test_stock_fill_posts_a_stock_entry() -> None:
    book = new_book("p1")
    buy = order("p1", Side.BUY, 3, PositionEffect.OPEN, Stock("SPY"))
    entries, _ = book.apply_fill(fill(buy, 3, "600.10", "0"), buy)
    assert entries[0].kind is LedgerKind.STOCK and entries[0].amount == Decimal("-1800.30")
