"""The Broker port on Dhan, over the official dhanhq SDK (REST).

The SDK is used for every call: it sends each request once (no retries of its own, so a POST is never
repeated behind our back), and its `{'status': 'failure', ...}` answers are mapped by `broker_errors`.
What it cannot do safely it is not asked to: the adapter sets its HTTP timeout, waits for our request
budget before each call, and treats a failure without Dhan's error code on a write as an unknown outcome.

One of our orders is one Dhan order (or, above the freeze quantity, Dhan's slices of it) under our client
order id as its correlation id, so `lookup` finds it after a timeout with
GET /v2/orders/external/{correlationId}. Dhan has no multi-leg orders: legs come one at a time
(MultiLegStyle.LEGGED) and a multi-leg order is refused here. Events come from polling the order and
trade books; each fill once, under Dhan's trade id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from dhanhq import DhanContext, dhanhq  # type: ignore[import-untyped]

from optionpilot.adapters.dhan import order_wire as ow
from optionpilot.adapters.dhan.broker_errors import (
    BROKER,
    broker_error,
    error_code,
    is_rate_limited,
    is_success,
)
from optionpilot.adapters.dhan.request_budget import DhanBudget, Kind
from optionpilot.adapters.dhan.security_master import OPTION_SEGMENT, Listing, SecurityMaster
from optionpilot.adapters.dhan.settings import DhanSettings
from optionpilot.core.calendars import Market
from optionpilot.core.clock import Clock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, BrokerOrderId, ClientOrderId, ExecutionId, FillId
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.fills import BrokerEvent, Fill, OrderUpdate
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, PositionEffect, Side
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition, MultiLegStyle

log = logging.getLogger(__name__)
CAPABILITIES = BrokerCapabilities(
    name=BROKER,
    markets=frozenset({Market.IN}),
    multi_leg=MultiLegStyle.LEGGED,
    max_legs=1,
    order_types=frozenset({OrderType.LIMIT, OrderType.MARKET}),
)
MAX_MODIFICATIONS = 25  # Dhan's limit per order
Reference = Callable[[OptionContract], Decimal | None]


class DhanBroker:
    def __init__(
        self,
        account_id: AccountId,
        settings: DhanSettings,
        master: SecurityMaster,
        budget: DhanBudget,
        clock: Clock,
        *,
        reference: Reference | None = None,
        attempts: int = 4,
    ) -> None:
        self.account_id = account_id
        self._clock = clock
        self._master = master
        self._budget = budget
        self._reference = reference
        self._collar = Decimal(str(settings.endpoints.price_collar))
        self._attempts = max(attempts, 1)
        self._sdk = dhanhq(DhanContext(settings.client_id, settings.access_token.get_secret_value()))
        self._sdk.dhan_http.base_url = settings.url
        self._sdk.dhan_http.timeout = settings.endpoints.timeout_s
        self._ours: dict[ClientOrderId, Order] = {}
        self._dhan_ids: dict[ClientOrderId, list[str]] = {}
        self._owner: dict[str, ClientOrderId] = {}  # Dhan order id -> our order it now works for
        self._mods: dict[str, int] = {}
        self._reported: dict[ClientOrderId, tuple[OrderStatus, int | None]] = {}
        self._seen: set[ExecutionId] = set()
        self._pending_replaced: list[ClientOrderId] = []  # reported REPLACED at the next poll

    @property
    def capabilities(self) -> BrokerCapabilities:
        return CAPABILITIES

    # -- calling the SDK -----------------------------------------------------------------------------

    def _call(self, kind: Kind, what: str, fn: Callable[[], Any], *, write: bool = False) -> Any:
        """One SDK call within the budget; DH-904 is backed off and tried again (Dhan did not act on
        it), anything else that failed is raised as ours."""
        for attempt in range(1, self._attempts + 1):
            self._budget.acquire(kind)
            answer = fn()
            if is_success(answer):
                self._budget.succeeded(kind)
                return answer.get("data")
            if is_rate_limited(answer) and attempt < self._attempts:
                pause = self._budget.throttled(kind)
                log.warning("%s: Dhan said DH-904, waiting %.1f s (attempt %d)", what, pause, attempt)
                continue
            raise broker_error(answer, what, write=write)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the port: sending ---------------------------------------------------------------------------

    def _single(self, order: Order) -> Listing:
        if len(order.legs) != 1:
            raise BrokerError(f"order {order.client_order_id}: Dhan takes one leg per order (legged)",
                              broker=BROKER, code="legs")  # fmt: skip
        return self._master.listing(order.legs[0].instrument)

    def submit(self, order: Order) -> None:
        listing = self._single(order)
        cid = ow.correlation_id(order)
        ref = self._reference(listing.contract) if self._reference is not None else None
        price = ow.limit_price(order, listing, ref, self._collar)
        qty = ow.units(order, listing)
        freeze = self._master.freeze_quantity(listing)
        sliced = freeze is not None and qty > freeze
        side = "BUY" if order.legs[0].side is Side.BUY else "SELL"
        place = self._sdk.place_slice_order if sliced else self._sdk.place_order
        self._ours[order.client_order_id] = order

        def send() -> Any:
            return place(str(listing.security_id), OPTION_SEGMENT, side, qty, "LIMIT", ow.PRODUCT,
                         float(price), tag=cid)  # fmt: skip

        data = self._call(Kind.ORDERS, f"place {cid}", send, write=True)
        placed = data if isinstance(data, list) else [data]
        self._learn(order.client_order_id, [str(d["orderId"]) for d in placed if d and d.get("orderId")])

    def _learn(self, cid: ClientOrderId, dhan_ids: Sequence[str]) -> None:
        known = self._dhan_ids.setdefault(cid, [])
        for oid in dhan_ids:
            if oid not in known:
                known.append(oid)
            self._owner.setdefault(oid, cid)

    def _docs_of(self, cid: ClientOrderId, book: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        ids = set(self._dhan_ids.get(cid, ()))
        return [d for d in book if str(d.get("orderId")) in ids]

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        cid = str(client_order_id)
        self._budget.acquire(Kind.NON_TRADING)
        answer = self._sdk.get_order_by_correlationID(cid)
        if not is_success(answer):
            if error_code(answer) == "DH-907" or "not found" in str(answer.get("remarks")).lower():
                return None
            raise broker_error(answer, f"lookup {cid}")
        data = answer.get("data")
        docs = data if isinstance(data, list) else [data]
        if len(docs) == 1 and docs[0]:
            # Slices share the correlation id and Dhan answers with the latest: find its siblings.
            docs = [d for d in self._order_book() if str(d.get("correlationId")) == cid] or docs
        self._learn(client_order_id, [str(d["orderId"]) for d in docs if d])
        return self._as_order(client_order_id, docs)

    def _as_order(self, cid: ClientOrderId, docs: Sequence[Mapping[str, Any]]) -> Order | None:
        if not docs:
            return None
        combined = ow.combine(docs)
        listing = self._master.by_id(str(docs[0].get("securityId")))
        base = self._ours.get(cid)
        if base is None:
            if listing is None:
                return None
            side = Side.BUY if str(docs[0].get("transactionType")) == "BUY" else Side.SELL
            base = Order(
                client_order_id=cid,
                account_id=self.account_id,
                legs=(OrderLeg(listing.contract, side),),
                quantity=combined.units // listing.lot_size,
                order_type=OrderType.LIMIT,
                created_at=ow.ist_time(docs[0].get("createTime")) or self._clock.now(),
                limit_price=Decimal(str(docs[0].get("price"))),
            )
        lot = listing.lot_size if listing is not None else 1
        return replace(
            base,
            status=combined.status,
            status_reason=combined.reason,
            filled_quantity=combined.filled_units // lot,
            broker_order_id=BrokerOrderId(str(docs[0].get("orderId"))),
        )

    def cancel(self, client_order_id: ClientOrderId) -> None:
        if client_order_id not in self._dhan_ids and self.lookup(client_order_id) is None:
            raise BrokerError(
                f"order {client_order_id} is unknown at Dhan", broker=BROKER, code="not_working"
            )
        docs = self._docs_of(client_order_id, self._order_book())
        working = [d for d in docs if ow.status_of(d) in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED,
                                                           OrderStatus.PARTIALLY_FILLED)]  # fmt: skip
        if not working:
            raise BrokerError(
                f"cancel {client_order_id}: not working at Dhan", broker=BROKER, code="not_working"
            )
        for d in working:
            self._cancel_one(client_order_id, str(d["orderId"]))

    def _cancel_one(self, cid: ClientOrderId, oid: str) -> None:
        self._call(Kind.ORDERS, f"cancel {cid}", lambda: self._sdk.cancel_order(oid))

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        """Dhan modifies an order in place (up to 25 times); the old order is reported REPLACED at the
        next poll and the Dhan order's news is the new order's from then on."""
        listing = self._single(new_order)
        old = self._ours.get(client_order_id)
        if old is not None and old.legs[0].instrument != new_order.legs[0].instrument:
            raise BrokerError(f"replace of {client_order_id}: the new order must be for the same contract",
                              broker=BROKER, code="legs")  # fmt: skip
        ids = self._dhan_ids.get(client_order_id) or []
        if len(ids) != 1:
            raise BrokerError(f"replace of {client_order_id}: only an unsliced working order can be modified",
                              broker=BROKER, code="not_working")  # fmt: skip
        oid = ids[0]
        if self._mods.get(oid, 0) >= MAX_MODIFICATIONS:
            raise BrokerError(
                f"replace of {client_order_id}: Dhan allows {MAX_MODIFICATIONS} modifications per order; "
                "cancel and place a new one",
                broker=BROKER,
                code="modify_limit",
            )
        ref = self._reference(listing.contract) if self._reference is not None else None
        price = ow.limit_price(new_order, listing, ref, self._collar)
        qty = ow.units(new_order, listing)

        def send() -> Any:
            return self._sdk.modify_order(oid, "LIMIT", "", qty, float(price), 0, 0, "DAY")

        self._call(Kind.ORDERS, f"modify {client_order_id}", send, write=True)
        self._mods[oid] = self._mods.get(oid, 0) + 1
        self._ours[new_order.client_order_id] = new_order
        self._dhan_ids[new_order.client_order_id] = [oid]
        self._owner[oid] = new_order.client_order_id
        self._pending_replaced.append(client_order_id)

    # -- Dhan's own safeguards, when the risk engine asks for them -----------------------------------

    def kill_switch(self, active: bool = True) -> str:
        """Dhan's kill switch: no more orders on the account for the rest of the day (open positions
        and orders must be closed first, as Dhan requires). Returns Dhan's status text."""
        action = "ACTIVATE" if active else "DEACTIVATE"
        data = self._call(Kind.ORDERS, f"kill switch {action.lower()}", lambda: self._sdk.kill_switch(action))
        return str((data or {}).get("killSwitchStatus", action))

    def pnl_exit(self, profit: Decimal, loss: Decimal, *, kill_switch: bool = True) -> None:
        """Dhan's P&L exit: Dhan itself closes every position when the day's P&L reaches +profit or
        -loss (rupees), a backstop that holds even when this process is down."""
        if profit <= 0 or loss <= 0:
            raise BrokerError("P&L exit: profit and loss must be positive rupee amounts", broker=BROKER,
                              code="input")  # fmt: skip
        self._call(Kind.ORDERS, "P&L exit",
                   lambda: self._sdk.set_pnl_exit(float(profit), float(loss), [ow.PRODUCT, "INTRADAY"],
                                                  kill_switch))  # fmt: skip

    # -- the port: what happened ---------------------------------------------------------------------

    def _order_book(self) -> list[Mapping[str, Any]]:
        return list(self._call(Kind.NON_TRADING, "order book", self._sdk.get_order_list) or [])

    def _trade_book(self) -> list[Mapping[str, Any]]:
        return list(self._call(Kind.NON_TRADING, "trade book", self._sdk.get_trade_book) or [])

    def poll_events(self) -> Sequence[BrokerEvent]:
        book = self._order_book()
        trades = self._trade_book()
        now = self._clock.now()
        events: list[BrokerEvent] = []
        for fill in self._fills(trades, book):
            if fill.execution_id not in self._seen:
                self._seen.add(fill.execution_id)
                events.append(fill)
        replaced, self._pending_replaced = list(self._pending_replaced), []
        for cid in replaced:
            events.append(OrderUpdate(cid, OrderStatus.REPLACED, now, "modified at Dhan"))
            self._reported[cid] = (OrderStatus.REPLACED, None)
        for cid in list(self._dhan_ids):
            docs = self._docs_of(cid, book)
            if not docs or self._reported.get(cid, (None,))[0] is OrderStatus.REPLACED:
                continue
            combined = ow.combine(docs)
            listing = self._master.by_id(str(docs[0].get("securityId")))
            lots = combined.filled_units // (listing.lot_size if listing is not None else 1)
            key = (combined.status, lots)
            if self._reported.get(cid) == key:
                continue
            self._reported[cid] = key
            events.append(OrderUpdate(cid, combined.status, now, combined.reason, lots,
                                      BrokerOrderId(str(docs[0]["orderId"]))))  # fmt: skip
        return events

    def _fills(self, trades: Sequence[Mapping[str, Any]], book: Sequence[Mapping[str, Any]]) -> list[Fill]:
        by_order = {str(d.get("orderId")): ClientOrderId(str(d["correlationId"]))
                    for d in book if d.get("correlationId")}  # fmt: skip
        out: list[Fill] = []
        for t in trades:
            oid = str(t.get("orderId"))
            cid = self._owner.get(oid) or by_order.get(oid)
            listing = self._master.by_id(str(t.get("securityId")))
            if cid is None or listing is None:
                continue  # not an order of this system (placed by hand in Dhan's app)
            ours = self._ours.get(cid)
            side = Side.BUY if str(t.get("transactionType")) == "BUY" else Side.SELL
            eid = ExecutionId(f"dhan-{oid}-{t.get('exchangeTradeId')}")
            out.append(
                Fill(
                    fill_id=FillId(eid),
                    client_order_id=cid,
                    account_id=self.account_id,
                    leg_index=0,
                    instrument=listing.contract,
                    side=side,
                    quantity=int(t.get("tradedQuantity") or 0) // listing.lot_size,
                    price=Decimal(str(t.get("tradedPrice"))),
                    fee=Decimal(0),
                    ts=ow.ist_time(t.get("exchangeTime")) or self._clock.now(),
                    effect=ours.legs[0].effect if ours is not None else PositionEffect.OPEN,
                    execution_id=eid,
                )
            )
        return out

    def executions(self) -> Sequence[Fill]:
        return self._fills(self._trade_book(), self._order_book())

    def account(self) -> AccountSnapshot:
        f = self._call(Kind.NON_TRADING, "fund limit", self._sdk.get_fund_limits)
        available = Decimal(str(f.get("availabelBalance", f.get("availableBalance", 0))))  # sic, Dhan's key
        used = Decimal(str(f.get("utilizedAmount") or 0))
        return AccountSnapshot(self.account_id, self._clock.now(), cash=available + used,
                               buying_power=available, equity=available + used, currency="INR")  # fmt: skip

    def positions(self) -> Sequence[BrokerPosition]:
        out = []
        for p in self._call(Kind.NON_TRADING, "positions", self._sdk.get_positions) or []:
            net = int(p.get("netQty") or 0)
            listing = self._master.by_id(str(p.get("securityId")))
            if net == 0 or listing is None:
                continue
            avg = p.get("buyAvg") if net > 0 else p.get("sellAvg")
            out.append(BrokerPosition(listing.contract.key, net // listing.lot_size, Decimal(str(avg))))
        return sorted(out, key=lambda p: p.symbol)

    def open_orders(self) -> Sequence[Order]:
        book = self._order_book()
        for d in book:
            if d.get("correlationId"):
                self._learn(ClientOrderId(str(d["correlationId"])), [str(d["orderId"])])
        out = []
        for cid in list(self._dhan_ids):
            order = self._as_order(cid, self._docs_of(cid, book))
            if order is not None and order.status in (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED,
                                                      OrderStatus.PARTIALLY_FILLED):  # fmt: skip
                out.append(order)
        return out
