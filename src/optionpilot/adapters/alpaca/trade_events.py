"""Alpaca's reports as our events: trade_updates and account activities into OrderUpdate, Fill and
ExpirySettlement, each fill with one execution id whichever way it came.

The execution id. A fill reaches us by two roads: the trade_updates stream and, when the stream was
down, the FILL activities (REST). Real Alpaca puts `execution_id` on stream updates only; a FILL
activity has its own `id` and no execution id. Both carry the order (for `mleg`, the leg's own order id)
and the cumulative filled quantity after the fill: a stream update its order document (each leg's
`filled_qty`), an activity its `order_id` and `cum_qty`. A cumulative quantity only grows, so
`alpaca:<order or leg id>:<cum qty>` names one execution of one leg, and both roads give the same id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from optionpilot.adapters.alpaca.order_wire import instrument_of, ratio_factor
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, ExecutionId, FillId
from optionpilot.core.money import ZERO
from optionpilot.domain.broker_status import map_broker_status
from optionpilot.domain.fills import ExpirySettlement, Fill, OrderUpdate, SettlementKind
from optionpilot.domain.instruments import Instrument, OptionContract
from optionpilot.domain.orders import Order, OrderStatus, PositionEffect, Side

SETTLEMENT_TYPES = {
    "OPEXC": SettlementKind.EXERCISED,
    "OPASN": SettlementKind.ASSIGNED,
    "OPEXP": SettlementKind.EXPIRED,
}


def execution_id(order_or_leg_id: str, cum_qty: int) -> ExecutionId:
    return ExecutionId(f"alpaca:{order_or_leg_id}:{cum_qty}")


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else ZERO


def _qty(value: Any) -> int:
    return int(_dec(value))


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class LegRef:
    """What an Alpaca order id (a simple order's or an mleg leg's) means to us."""

    client_order_id: ClientOrderId
    leg_index: int
    instrument: Instrument
    side: Side
    effect: PositionEffect


@dataclass
class KnownOrders:
    """The orders this process knows: ours as sent, and Alpaca's ids for them and their legs."""

    ours: dict[ClientOrderId, Order] = field(default_factory=dict)
    alpaca_id: dict[ClientOrderId, str] = field(default_factory=dict)
    legs: dict[str, LegRef] = field(default_factory=dict)  # Alpaca order or leg id -> leg

    def remember(self, order: Order) -> None:
        self.ours[order.client_order_id] = order

    def learn(self, doc: dict[str, Any]) -> ClientOrderId:
        """Take Alpaca's ids from an order document (a REST answer or a stream update's order)."""
        cid = ClientOrderId(str(doc["client_order_id"]))
        self.alpaca_id[cid] = str(doc["id"])
        mine = self.ours.get(cid)
        legs = doc.get("legs") or []
        if legs and str(doc.get("order_class")) in ("mleg", "OrderClass.MLEG"):
            for i, leg in enumerate(legs):
                self.legs[str(leg["id"])] = self._ref(cid, i, mine, leg)
        else:
            self.legs[str(doc["id"])] = self._ref(cid, 0, mine, doc)
        return cid

    @staticmethod
    def _ref(cid: ClientOrderId, i: int, mine: Order | None, doc: dict[str, Any]) -> LegRef:
        if mine is not None and i < len(mine.legs):
            leg = mine.legs[i]
            return LegRef(cid, i, leg.instrument, leg.side, leg.effect)
        intent = str(doc.get("position_intent") or "")
        side = str(doc.get("side") or ("buy" if intent.startswith("buy") else "sell"))
        effect = PositionEffect.CLOSE if intent.endswith("close") else PositionEffect.OPEN
        return LegRef(cid, i, instrument_of(str(doc.get("symbol") or "")), Side(side), effect)

    def factor(self, cid: ClientOrderId) -> int:
        mine = self.ours.get(cid)
        return 1 if mine is None else ratio_factor(mine)


def order_update(doc: dict[str, Any], known: KnownOrders, at: datetime, reason: str = "") -> OrderUpdate:
    """Alpaca's order document as our status report (quantities in our units)."""
    cid = known.learn(doc)
    raw_status = str(doc.get("status") or "")
    mapped = map_broker_status("alpaca", raw_status)
    filled = _qty(doc.get("filled_qty")) // known.factor(cid)
    mine = known.ours.get(cid)
    if mine is not None:
        filled = mine.quantity if mapped.status is OrderStatus.FILLED else min(filled, mine.quantity)
    return OrderUpdate(
        client_order_id=cid,
        status=mapped.status,
        ts=at,
        reason=reason or f"alpaca: {raw_status}",
        filled_quantity=filled,
        broker_order_id=BrokerOrderId(str(doc["id"])),
    )


def make_fill(
    ref: LegRef, account_id: AccountId, exec_id: ExecutionId, qty: int, price: Decimal, at: datetime
) -> Fill:
    # Alpaca charges no commission on options; its regulatory fees come as FEE activities, not on fills.
    return Fill(
        fill_id=FillId(exec_id),
        client_order_id=ref.client_order_id,
        account_id=account_id,
        leg_index=ref.leg_index,
        instrument=ref.instrument,
        side=ref.side,
        quantity=qty,
        price=price,
        fee=ZERO,
        ts=at,
        effect=ref.effect,
        execution_id=exec_id,
    )


def stream_fill(data: dict[str, Any], known: KnownOrders, account_id: AccountId) -> Fill | None:
    """The fill of a simple order's fill or partial_fill update; None for an mleg order, whose update
    carries only the net price (its legs' prices come from the FILL activities)."""
    doc = data["order"]
    if doc.get("legs") and str(doc.get("order_class")) == "mleg":
        return None
    known.learn(doc)
    ref = known.legs[str(doc["id"])]
    at = _time(data.get("timestamp") or doc.get("updated_at"))
    exec_id = execution_id(str(doc["id"]), _qty(doc.get("filled_qty")))
    return make_fill(ref, account_id, exec_id, _qty(data.get("qty")), _dec(data.get("price")), at)


def mleg_fill_ids(data: dict[str, Any]) -> list[ExecutionId]:
    """The execution ids an mleg fill update stands for, one per leg (to find in the FILL activities)."""
    return [
        execution_id(str(leg["id"]), _qty(leg.get("filled_qty"))) for leg in data["order"].get("legs") or []
    ]


def activity_fill(doc: dict[str, Any], known: KnownOrders, account_id: AccountId) -> Fill | None:
    """A FILL activity as a fill; None when its order is unknown even after a refresh (the caller counts)."""
    ref = known.legs.get(str(doc.get("order_id")))
    if ref is None:
        return None
    exec_id = execution_id(str(doc["order_id"]), _qty(doc.get("cum_qty")))
    return make_fill(
        ref, account_id, exec_id, _qty(doc.get("qty")), _dec(doc.get("price")), _activity_time(doc)
    )


def _activity_time(doc: dict[str, Any]) -> datetime:
    if doc.get("transaction_time"):
        return _time(doc["transaction_time"])
    # A non-trade activity has only a date; its id starts with Alpaca's time stamp (to the millisecond).
    stamp = str(doc.get("id", "")).split("::", 1)[0]
    try:
        return datetime.strptime(stamp[:17] + "000", "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromisoformat(str(doc["date"])).replace(tzinfo=UTC)


def settlement(doc: dict[str, Any], account_id: AccountId) -> ExpirySettlement | None:
    """An OPEXC / OPASN / OPEXP activity as an expiry settlement; None for another kind or a stock."""
    kind = SETTLEMENT_TYPES.get(str(doc.get("activity_type")))
    contract = instrument_of(str(doc.get("symbol") or ""))
    if kind is None or not isinstance(contract, OptionContract):
        return None
    qty = _qty(doc.get("qty"))
    # An assignment settles a short position, an exercise a long one, whatever sign the activity shows.
    if kind is SettlementKind.ASSIGNED:
        qty = -abs(qty)
    elif kind is SettlementKind.EXERCISED:
        qty = abs(qty)
    shares = (
        0 if kind is SettlementKind.EXPIRED else qty * contract.multiplier * (1 if contract.is_call else -1)
    )
    return ExpirySettlement(
        event_id=f"alpaca:{doc['id']}",
        account_id=account_id,
        contract=contract,
        quantity=qty,
        kind=kind,
        # Alpaca's activity does not say the underlying's price; the strike is what the shares moved at.
        settlement_price=contract.strike,
        cash=_dec(doc.get("net_amount")),
        shares=shares,
        ts=_activity_time(doc),
    )
