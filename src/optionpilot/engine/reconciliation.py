"""Reconciliation: compare the book with the broker; the same path at start-up and after a crash."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from optionpilot.core.money import ZERO
from optionpilot.engine.book import AccountBook
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


def reconcile(book: AccountBook, broker: Broker, *, cash_tolerance: Decimal = ZERO) -> ReconciliationReport:
    """Cash must agree to the cent (or the tolerance); every position quantity exactly."""
    diffs: list[Difference] = []
    account = broker.account()
    if abs(account.cash - book.cash) > cash_tolerance:
        diffs.append(Difference("cash", book.cash, account.cash))
    ours = book.holdings()
    theirs = {p.symbol: p.quantity for p in broker.positions() if p.quantity}
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, 0), theirs.get(key, 0)
        if a != b:
            diffs.append(Difference(key, Decimal(a), Decimal(b)))
    return ReconciliationReport(str(book.account_id), tuple(diffs))
