"""Reconciliation: compare the book with the broker; the same path at start-up and after a crash.

With the order manager it first settles what it can explain, then compares: a fill the broker has
for one of our orders that we missed (known by execution id and client id) is applied and recorded
as adopted; an order we sent whose outcome we never heard is looked up. What is left (an order or a
fill at the broker we never made, cash or positions that still differ) halts the account: it refuses
new orders, with an incident saying why, and the run goes on for its other accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from optionpilot.core.money import ZERO
from optionpilot.domain.fills import Fill
from optionpilot.domain.orders import OrderStatus
from optionpilot.engine.book import AccountBook
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.broker import Broker


@dataclass(frozen=True, slots=True)
class Difference:
    what: str  # "cash" or an instrument key
    book: Decimal
    broker: Decimal

    def __str__(self) -> str:
        return f"{self.what}: book {self.book} vs broker {self.broker}"


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    account_id: str
    differences: tuple[Difference, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        if self.ok:
            return f"{self.account_id}: book and broker agree"
        return f"{self.account_id}: " + "; ".join(str(d) for d in self.differences)


def reconcile(
    book: AccountBook,
    broker: Broker,
    *,
    orders: OrderManager | None = None,
    cash_tolerance: Decimal = ZERO,
) -> ReconciliationReport:
    """Cash must agree to the cent (or the tolerance); every position quantity exactly; with `orders`,
    every fill by execution id and every open order by client id. Differences left halt the account."""
    diffs: list[Difference] = [] if orders is None else _orders_and_fills(orders, broker, book)
    account = broker.account()
    if abs(account.cash - book.cash) > cash_tolerance:
        diffs.append(Difference("cash", book.cash, account.cash))
    ours = book.holdings()
    theirs = {p.symbol: p.quantity for p in broker.positions() if p.quantity}
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, 0), theirs.get(key, 0)
        if a != b:
            diffs.append(Difference(key, Decimal(a), Decimal(b)))
    report = ReconciliationReport(str(book.account_id), tuple(diffs))
    if orders is not None and not report.ok:
        orders.halt(f"reconciliation: {report.summary()}")
    return report


def _orders_and_fills(orders: OrderManager, broker: Broker, book: AccountBook) -> list[Difference]:
    diffs: list[Difference] = []
    for cid in sorted(orders.unknown_outcomes):
        orders.resolve_unknown(cid)
    theirs_fills = list(broker.executions())
    missed: list[Fill] = []
    for fill in theirs_fills:
        if orders.has_execution(fill.execution_id):
            continue
        if fill.client_order_id in orders.orders:
            missed.append(fill)
        else:
            diffs.append(
                Difference(f"fill {fill.execution_id} of unknown order {fill.client_order_id}", ZERO, ZERO)
            )
    if missed and _explains(missed, book, broker):
        for fill in missed:
            orders.adopt_fill(fill)
    else:
        # The book already shows (or cannot take) what these fills did: adopting them would count twice.
        diffs.extend(
            Difference(
                f"fill {f.execution_id} of {f.client_order_id} at the broker, not among ours", ZERO, ZERO
            )
            for f in missed
        )
    at_broker = {f.execution_id for f in theirs_fills}
    diffs.extend(
        Difference(f"fill {e} of ours the broker does not have", ZERO, ZERO)
        for e in sorted(orders.executions - at_broker)
    )
    for theirs in broker.open_orders():
        mine = orders.orders.get(theirs.client_order_id)
        if mine is None:
            diffs.append(Difference(f"open order {theirs.client_order_id} we never made", ZERO, ZERO))
    for mine in list(orders.open_orders()):
        if mine.status is OrderStatus.NEW:
            continue
        seen = broker.lookup(mine.client_order_id)
        if seen is None:
            orders.resolve_unknown(mine.client_order_id)  # stored as sent, the broker never had it
        elif seen.status is not mine.status:
            orders.adopt_status(seen)
    return diffs


def _explains(missed: list[Fill], book: AccountBook, broker: Broker) -> bool:
    """Whether the missed fills account exactly for the differences in cash and positions: then we
    missed them (a crash between the broker's fill and our record), and they are adopted."""
    cash = book.cash + sum((f.cash_flow for f in missed), start=ZERO)
    if cash != broker.account().cash:
        return False
    ours = book.holdings()
    for f in missed:
        ours[f.instrument.key] = ours.get(f.instrument.key, 0) + f.side.sign * f.quantity
    theirs = {p.symbol: p.quantity for p in broker.positions() if p.quantity}
    return {k: v for k, v in ours.items() if v} == theirs
