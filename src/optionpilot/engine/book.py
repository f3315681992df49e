"""The engine's ledger of one account: cash entries and positions, changed only by fills and settlements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from optionpilot.core.ids import AccountId, PositionId
from optionpilot.core.money import ZERO
from optionpilot.domain.accounts import CashLedger, LedgerEntry, LedgerKind
from optionpilot.domain.fills import ExpirySettlement, Fill, SettlementKind
from optionpilot.domain.instruments import OptionContract, Settlement, Stock
from optionpilot.domain.orders import Order, PositionEffect
from optionpilot.domain.positions import Position, PositionEventKind, PositionStatus
from optionpilot.domain.recommendations import PositionEvent


class AccountBook:
    """Cash and positions as the engine knows them; reconciled against the broker, never copied from it."""

    def __init__(self, account_id: AccountId, currency: str, starting_cash: Decimal, ts: datetime) -> None:
        self.account_id = account_id
        self.currency = currency
        self.starting_cash = starting_cash
        self.ledger = CashLedger(account_id)
        self.positions: dict[PositionId, Position] = {}
        self.deposit = LedgerEntry(
            account_id, ts, LedgerKind.DEPOSIT, starting_cash, "deposit", "starting cash"
        )
        self.ledger.post(self.deposit)
        self.fees_paid = ZERO

    @property
    def cash(self) -> Decimal:
        return self.ledger.balance

    def open_positions(self) -> list[Position]:
        return [p for p in self.positions.values() if p.status is not PositionStatus.CLOSED]

    def add_position(self, position: Position) -> None:
        if position.position_id in self.positions:
            raise ValueError(f"position {position.position_id} already exists")
        self.positions[position.position_id] = position

    def apply_fill(self, fill: Fill, order: Order) -> tuple[list[LedgerEntry], list[PositionEvent]]:
        if order.position_id is None:
            raise ValueError(f"order {order.client_order_id} has no position; every order belongs to one")
        position = self.positions[order.position_id]
        kind = LedgerKind.PREMIUM if isinstance(fill.instrument, OptionContract) else LedgerKind.STOCK
        entries = [
            LedgerEntry(
                self.account_id,
                fill.ts,
                kind,
                -fill.side.sign * fill.notional,
                str(fill.fill_id),
                f"{fill.side.value} {fill.quantity} {fill.instrument.key} @ {fill.price}",
            )
        ]
        if fill.fee:
            entries.append(
                LedgerEntry(self.account_id, fill.ts, LedgerKind.FEE, -fill.fee, str(fill.fill_id), "fees")
            )
        for entry in entries:
            self.ledger.post(entry)
        self.fees_paid += fill.fee
        position.fees += fill.fee
        leg = position.leg_for(fill.instrument)
        realized = leg.apply(fill.side.sign * fill.quantity, fill.price)
        position.realized_pnl += realized
        events = [self._after_change(position, fill.ts, fill.effect, order, fill.quantity, fill.price)]
        if fill.effect is PositionEffect.OPEN:
            position.entry_cost += fill.side.sign * fill.notional
        return entries, events

    def _after_change(
        self,
        position: Position,
        ts: datetime,
        effect: PositionEffect,
        order: Order,
        quantity: int,
        price: Decimal,
    ) -> PositionEvent:
        if effect is PositionEffect.OPEN:
            first = position.status is PositionStatus.OPENING
            position.status = PositionStatus.OPEN
            kind = PositionEventKind.OPENED if first else PositionEventKind.ADDED
            return PositionEvent(
                ts, position.position_id, self.account_id, kind, order.reason, quantity, price
            )
        if position.is_flat:
            position.status = PositionStatus.CLOSED
            position.closed_at = ts
            position.exit_reason = position.exit_reason or order.reason
            kind = PositionEventKind.CLOSED
        else:
            kind = PositionEventKind.REDUCED
        return PositionEvent(ts, position.position_id, self.account_id, kind, order.reason, quantity, price)

    def apply_settlement(self, s: ExpirySettlement) -> tuple[list[LedgerEntry], list[PositionEvent]]:
        """Spread a settled contract over the positions holding it, oldest first."""
        holders = [
            p
            for p in self.positions.values()
            if p.status is not PositionStatus.CLOSED
            and (leg := p.legs.get(s.contract.key)) is not None
            and leg.quantity != 0
            and (leg.quantity > 0) == (s.quantity > 0)
        ]
        remaining = abs(s.quantity)
        entries: list[LedgerEntry] = []
        events: list[PositionEvent] = []
        per_contract_cash = s.cash / abs(s.quantity) if s.quantity else ZERO
        per_contract_shares = s.shares // abs(s.quantity) if s.quantity else 0
        for position in holders:
            if remaining == 0:
                break
            leg = position.legs[s.contract.key]
            qty = min(abs(leg.quantity), remaining)
            remaining -= qty
            sign = 1 if leg.quantity > 0 else -1
            contract = s.contract
            cash = per_contract_cash * qty
            shares = per_contract_shares * qty
            if s.kind is SettlementKind.EXPIRED or contract.settlement is Settlement.CASH:
                intrinsic = cash / (qty * contract.multiplier) * sign if qty else ZERO
                # The option is closed at its settlement value: intrinsic for cash, zero when worthless.
                position.realized_pnl += leg.apply(-sign * qty, intrinsic)
            else:
                # Physical delivery: the premium is spent, shares arrive (or leave) at the strike.
                position.realized_pnl += leg.apply(-sign * qty, ZERO)
                stock_leg = position.leg_for(Stock(contract.underlying, contract.market))
                position.realized_pnl += stock_leg.apply(shares, contract.strike)
            if cash:
                kind = {
                    SettlementKind.EXERCISED: LedgerKind.EXERCISE,
                    SettlementKind.ASSIGNED: LedgerKind.ASSIGNMENT,
                }.get(s.kind, LedgerKind.CASH_SETTLEMENT)
                if contract.settlement is Settlement.CASH:
                    kind = LedgerKind.CASH_SETTLEMENT
                entry = LedgerEntry(
                    self.account_id, s.ts, kind, cash, s.event_id, f"{s.kind.value} {contract.key}"
                )
                self.ledger.post(entry)
                entries.append(entry)
            event_kind = {
                SettlementKind.EXERCISED: PositionEventKind.EXERCISED,
                SettlementKind.ASSIGNED: PositionEventKind.ASSIGNED,
                SettlementKind.EXPIRED: PositionEventKind.EXPIRED,
            }[s.kind]
            reason = f"{contract.key} {s.kind.value} at expiry, underlying {s.settlement_price}"
            events.append(
                PositionEvent(
                    s.ts, position.position_id, self.account_id, event_kind, reason, qty, s.settlement_price
                )
            )
            if position.is_flat:
                position.status = PositionStatus.CLOSED
                position.closed_at = s.ts
                position.exit_reason = position.exit_reason or reason
        if remaining:
            raise ValueError(
                f"{self.account_id}: settlement {s.event_id} of {s.quantity} {s.contract.key} "
                f"exceeds the book's holding by {remaining}"
            )
        return entries, events

    def entry_failed(self, position_id: PositionId, reason: str, now: datetime) -> PositionEvent | None:
        """An entry that ended with nothing filled: its position closes, empty, with the reason."""
        position = self.positions[position_id]
        if not (position.is_flat and position.status is PositionStatus.OPENING):
            return None
        position.status = PositionStatus.CLOSED
        position.closed_at = now
        position.exit_reason = reason
        return PositionEvent(now, position_id, self.account_id, PositionEventKind.ENTRY_FAILED, reason)

    def holdings(self) -> dict[str, int]:
        """Net signed quantity per instrument key across open positions."""
        out: dict[str, int] = {}
        for position in self.positions.values():
            for key, leg in position.legs.items():
                if leg.quantity:
                    out[key] = out.get(key, 0) + leg.quantity
        return out

    def equity(self, marks: dict[str, Decimal]) -> Decimal:
        return self.cash + sum(
            (p.market_value(marks) for p in self.positions.values() if p.status is not PositionStatus.CLOSED),
            start=ZERO,
        )
