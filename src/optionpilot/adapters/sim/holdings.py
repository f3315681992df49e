"""Cash and positions of one simulated account, and what the close of an expiry session does to them.

Options are settled after the close of their expiry session, on the underlying's close then (see
`settlement`). Deliveries the cash cannot pay (`ExpiryDelivery.FUNDED`) are closed at intrinsic value
instead, all of that expiry's together, as a broker liquidates at the close.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from optionpilot.adapters.sim.broker_config import ExpiryDelivery, SimBrokerConfig
from optionpilot.adapters.sim.broker_prices import BrokerPrices
from optionpilot.adapters.sim.hours import BrokerHours
from optionpilot.adapters.sim.settlement import SettlementOutcome, at_intrinsic, settle
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.core.money import ZERO
from optionpilot.domain.accounts import CashLedger, LedgerEntry, LedgerKind
from optionpilot.domain.fills import ExpirySettlement, Fill
from optionpilot.domain.instruments import Instrument, OptionContract, Stock
from optionpilot.domain.positions import PositionLeg


class SimHoldings:
    def __init__(
        self,
        account_id: AccountId,
        ledger: CashLedger,
        *,
        hours: BrokerHours,
        prices: BrokerPrices,
        config: SimBrokerConfig,
        currency: str,
        ids: IdMaker,
    ) -> None:
        self._account_id = account_id
        self.ledger = ledger
        self.positions: dict[str, PositionLeg] = {}
        # The earliest close at which a held option expires: nothing to settle before it.
        self.next_settlement: datetime | None = None
        self._hours = hours
        self._prices = prices
        self._cfg = config
        self._currency = currency
        self._ids = ids

    def equity(self) -> Decimal:
        """Cash plus every position at its mark."""
        return self.ledger.balance + sum(
            (self._prices.mark(p.instrument) * p.quantity * p.multiplier for p in self.positions.values()),
            start=ZERO,
        )

    def book_fill(self, fill: Fill) -> None:
        kind = LedgerKind.PREMIUM if isinstance(fill.instrument, OptionContract) else LedgerKind.STOCK
        self.post(fill.ts, kind, -fill.side.sign * fill.notional, fill.fill_id, fill.instrument.key)
        if fill.fee:
            self.post(fill.ts, LedgerKind.FEE, -fill.fee, fill.fill_id, f"fee {fill.instrument.key}")
        self.apply(fill.instrument, fill.side.sign * fill.quantity, fill.price)

    def restore(self, holdings: Iterable[PositionLeg]) -> None:
        for leg in holdings:
            if leg.quantity:
                self.apply(leg.instrument, leg.quantity, leg.avg_price)

    def apply(self, inst: Instrument, signed_qty: int, price: Decimal) -> None:
        key = inst.key
        pos = self.positions.get(key)
        if pos is None:
            pos = self.positions[key] = PositionLeg(inst)
        pos.apply(signed_qty, price)
        if pos.quantity == 0:
            del self.positions[key]
        elif isinstance(inst, OptionContract):
            close = self._hours.expiry_close(inst.expiry)
            if self.next_settlement is None or close < self.next_settlement:
                self.next_settlement = close

    def post(self, ts: datetime, kind: LedgerKind, amount: Decimal, ref: str, note: str) -> None:
        self.ledger.post(LedgerEntry(self._account_id, ts, kind, amount, ref, note))

    def settle_expired(self, now: datetime) -> list[ExpirySettlement]:
        """Settle every option whose expiry session has closed by `now`; the settlements, in key order."""
        expiring = sorted(
            (key, p)
            for key, p in self.positions.items()
            if isinstance(p.instrument, OptionContract)
            and self._hours.expiry_close(p.instrument.expiry) <= now
        )
        closes: dict[tuple[str, date], Decimal] = {}
        outcomes: list[tuple[str, OptionContract, int, Decimal, SettlementOutcome]] = []
        for key, pos in expiring:
            contract = pos.instrument
            assert isinstance(contract, OptionContract)
            session_close = self._hours.expiry_close(contract.expiry)
            price_key = (contract.underlying, contract.expiry)
            if price_key not in closes:
                closes[price_key] = self._prices.underlying_close(contract.underlying, session_close)
            price = closes[price_key]
            outcome = settle(contract, pos.quantity, price, self._cfg.itm_threshold)
            outcomes.append((key, contract, pos.quantity, price, outcome))
        after = self.ledger.balance + sum((o[4].cash for o in outcomes), start=ZERO)
        unfunded = self._cfg.expiry_delivery is ExpiryDelivery.FUNDED and after < 0
        settled: list[ExpirySettlement] = []
        for key, contract, quantity, price, outcome in outcomes:
            note = f"{outcome.kind.value} {key}"
            if unfunded and outcome.shares:
                outcome = at_intrinsic(contract, quantity, price)
                note = (
                    f"{key} closed at intrinsic {contract.intrinsic(price)}: delivery would leave cash at "
                    f"{after:,.2f} {self._currency}"
                )
            event_id = self._ids.next("settle")
            del self.positions[key]
            ledger_kind = outcome.ledger_kind
            if ledger_kind is not None and outcome.cash != 0:
                self.post(now, ledger_kind, outcome.cash, event_id, note)
            if outcome.shares:
                self.apply(Stock(contract.underlying, contract.market), outcome.shares, contract.strike)
            settled.append(
                ExpirySettlement(
                    event_id=event_id,
                    account_id=self._account_id,
                    contract=contract,
                    quantity=quantity,
                    kind=outcome.kind,
                    settlement_price=price,
                    cash=outcome.cash,
                    shares=outcome.shares,
                    ts=now,
                )
            )
        closes_left = [
            self._hours.expiry_close(p.instrument.expiry)
            for p in self.positions.values()
            if isinstance(p.instrument, OptionContract)
        ]
        self.next_settlement = min(closes_left) if closes_left else None
        return settled
