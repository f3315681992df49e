"""Accounts and the cash ledger. Every cash movement is one entry; the balance is their sum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from optionpilot.core.ids import AccountId
from optionpilot.core.money import ZERO


class LedgerKind(StrEnum):
    DEPOSIT = "deposit"
    PREMIUM = "premium"  # option bought or sold
    STOCK = "stock"  # shares bought or sold
    FEE = "fee"
    EXERCISE = "exercise"
    ASSIGNMENT = "assignment"
    CASH_SETTLEMENT = "cash_settlement"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    account_id: AccountId
    ts: datetime
    kind: LedgerKind
    amount: Decimal  # into the account (+) or out of it (-)
    ref: str  # the fill, settlement or deposit it comes from
    note: str = ""


@dataclass(slots=True)
class CashLedger:
    account_id: AccountId
    entries: list[LedgerEntry] = field(default_factory=list)
    balance: Decimal = ZERO

    def post(self, entry: LedgerEntry) -> None:
        if entry.account_id != self.account_id:
            raise ValueError(f"entry for {entry.account_id} posted to the ledger of {self.account_id}")
        self.entries.append(entry)
        self.balance += entry.amount

    def total(self, kind: LedgerKind) -> Decimal:
        return sum((e.amount for e in self.entries if e.kind is kind), start=ZERO)


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """What the broker says about an account right now."""

    account_id: AccountId
    ts: datetime
    cash: Decimal
    buying_power: Decimal
    equity: Decimal
    currency: str = "USD"
