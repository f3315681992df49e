"""The Broker port on Alpaca (alpaca-py's TradingClient plus the trade_updates stream).

`submit` sends once per call (the transport turned the SDK's own retries off): a 429 was not processed,
so it is sent again after the budget's pause, a bounded number of times; a 504 or a timeout is an unknown
outcome (BrokerTimeout) that the order manager settles with `lookup` before anything is re-sent; a 422
for a client id Alpaca already has is our own earlier send, so the order is adopted, not refused.
`poll_events` reads the stream and, when the stream had a gap (or an mleg fill needs its legs' prices,
or every `rest_poll_s`), the account activities and the orders over REST; each fill is reported once,
under the execution id both roads agree on (`trade_events`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.requests import ReplaceOrderRequest

from optionpilot.adapters.alpaca import trade_events as te
from optionpilot.adapters.alpaca.broker_errors import BROKER, broker_error, is_reused_client_id, status_of
from optionpilot.adapters.alpaca.order_wire import domain_order, order_request, ratio_factor, replace_price
from optionpilot.adapters.alpaca.settings import AlpacaSettings
from optionpilot.adapters.alpaca.trade_stream import TradeStream
from optionpilot.adapters.alpaca.transport import RequestBudget, attach
from optionpilot.core.calendars import Market
from optionpilot.core.clock import Clock, monotonic_seconds
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId, ExecutionId
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.fills import BrokerEvent, ExpirySettlement, Fill, OrderUpdate
from optionpilot.domain.orders import TERMINAL, Order, OrderStatus, OrderType
from optionpilot.ports.broker import BrokerCapabilities, BrokerPosition, MultiLegStyle

log = logging.getLogger(__name__)
CAPABILITIES = BrokerCapabilities(
    name=BROKER,
    markets=frozenset({Market.US}),
    multi_leg=MultiLegStyle.ATOMIC,
    max_legs=4,
    order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
)
_ACTIVITY_TYPES = "FILL,OPEXC,OPASN,OPEXP"
_PAGE = 100
_STREAM_URLS = {True: "wss://paper-api.alpaca.markets/stream", False: "wss://api.alpaca.markets/stream"}


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(mode="json"))


class AlpacaBroker:
    def __init__(
        self,
        account_id: AccountId,
        settings: AlpacaSettings,
        budget: RequestBudget,
        clock: Clock,
        *,
        stream: bool = True,
        rest_poll_s: float = 30.0,
        submit_attempts: int = 3,
    ) -> None:
        self.account_id = account_id
        self._clock = clock
        secret = settings.secret_key.get_secret_value()
        client = TradingClient(
            settings.key_id, secret, paper=settings.paper, url_override=settings.trading_url
        )
        self._client: TradingClient = attach(client, budget, settings.endpoints.timeout_s)
        base = settings.stream_url
        url = _STREAM_URLS[settings.paper] if base is None else base.rstrip("/") + "/stream"
        self.stream = (
            TradeStream(url, settings.key_id, settings.secret_key.get_secret_value) if stream else None
        )
        self._rest_poll_s = rest_poll_s
        self._attempts = max(submit_attempts, 1)
        self._known = te.KnownOrders()
        self._seen: set[ExecutionId] = set()
        self._reported: dict[ClientOrderId, tuple[OrderStatus, int | None]] = {}
        self._awaiting: set[ExecutionId] = set()  # mleg leg fills the stream announced, not yet priced
        self._cursor: str | None = None
        self._cursor_ready = False
        self._generation = 0
        self._carry: list[dict[str, Any]] = []  # stream updates of a poll whose REST part failed
        self._last_rest = float("-inf")
        self.unmatched_fills = 0  # FILL activities whose order Alpaca could not name to us

    # -- the port: sending -------------------------------------------------------------------------

    @property
    def capabilities(self) -> BrokerCapabilities:
        return CAPABILITIES

    def start(self) -> None:
        """Start the stream and mark where the account's activities stand (what came before is for
        reconciliation, `executions()`, not for the events of this run)."""
        if not self._cursor_ready:
            self._cursor = self._newest_activity_id()
            self._cursor_ready = True
        if self.stream is not None:
            self.stream.start()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.stop()

    def submit(self, order: Order) -> None:
        request = order_request(order)  # a BrokerError here: nothing was sent
        try:
            self.start()
        except BrokerError as exc:
            # Only the activities' starting mark failed; the send must not fail for it (the poll retries).
            log.warning("Alpaca start-up read failed, tried again at the next poll: %s", exc)
        self._known.remember(order)
        cid = order.client_order_id
        for attempt in range(1, self._attempts + 1):
            try:
                placed = self._client.submit_order(request)
            except Exception as exc:
                if isinstance(exc, APIError) and is_reused_client_id(exc) and self.lookup(cid) is not None:
                    log.info("order %s was already at Alpaca (422 reused client id): adopted", cid)
                    return
                error = broker_error(exc, f"submit {cid}")
                if error.code == "rate_limit" and attempt < self._attempts:
                    # A 429 is not processed: safe to send again once the budget's pause is over.
                    log.warning("submit %s throttled (429), attempt %d of %d", cid, attempt, self._attempts)
                    continue
                raise error from None
            self._known.learn(_dump(placed))
            return

    def lookup(self, client_order_id: ClientOrderId) -> Order | None:
        try:
            seen = self._client.get_order_by_client_id(client_order_id)
        except APIError as exc:
            if status_of(exc) == 404:
                return None
            raise broker_error(exc, f"lookup {client_order_id}") from None
        except Exception as exc:
            raise broker_error(exc, f"lookup {client_order_id}") from None
        self._known.learn(_dump(seen))
        return domain_order(seen, self.account_id, self._known.ours.get(client_order_id))  # type: ignore[arg-type]

    def _alpaca_id(self, cid: ClientOrderId) -> str:
        if cid not in self._known.alpaca_id and self.lookup(cid) is None:
            raise BrokerError(f"order {cid} is unknown at Alpaca", broker=BROKER, code="not_working")
        return self._known.alpaca_id[cid]

    def cancel(self, client_order_id: ClientOrderId) -> None:
        try:
            self._client.cancel_order_by_id(self._alpaca_id(client_order_id))
        except BrokerError:
            raise
        except APIError as exc:
            if status_of(exc) in (404, 422):
                raise BrokerError(f"cancel {client_order_id}: not working at Alpaca", broker=BROKER,
                                  code="not_working") from None  # fmt: skip
            raise broker_error(exc, f"cancel {client_order_id}") from None
        except Exception as exc:
            raise broker_error(exc, f"cancel {client_order_id}") from None

    def replace(self, client_order_id: ClientOrderId, new_order: Order) -> None:
        """PATCH the order under the new order's client id. A 200 only says Alpaca took the request: the
        old order ends REPLACED when Alpaca reports it (stream or poll), not here."""
        old = self._known.ours.get(client_order_id)
        shape = [(leg.instrument.key, leg.side, leg.ratio) for leg in new_order.legs]
        if old is not None and shape != [(leg.instrument.key, leg.side, leg.ratio) for leg in old.legs]:
            raise BrokerError(f"replace of {client_order_id}: the new order must have the same legs",
                              broker=BROKER, code="legs")  # fmt: skip
        request = ReplaceOrderRequest(
            qty=new_order.quantity * ratio_factor(new_order),
            limit_price=replace_price(new_order),
            client_order_id=new_order.client_order_id,
        )
        aid = self._alpaca_id(client_order_id)
        self._known.remember(new_order)
        try:
            placed = self._client.replace_order_by_id(aid, request)
        except Exception as exc:
            raise broker_error(exc, f"replace {client_order_id}") from None
        self._known.learn(_dump(placed))

    # -- the port: what happened ---------------------------------------------------------------------

    def poll_events(self) -> Sequence[BrokerEvent]:
        self.start()
        updates = self._carry + (self.stream.drain() if self.stream is not None else [])
        self._carry = []
        gap = self._stream_gap()
        mleg_fill = any(_is_fill(u) and te.mleg_fill_ids(u) for u in updates)
        due = monotonic_seconds() - self._last_rest >= self._rest_poll_s
        priced: dict[ExecutionId, Fill] = {}
        settlements: list[BrokerEvent] = []
        polled: list[OrderUpdate] = []
        if gap or mleg_fill or due or self._awaiting:
            self._last_rest = monotonic_seconds()
            try:
                # Statuses before activities: a fill a status shows is then already among the activities.
                polled = self._status_refresh() if gap or due else []
                priced, settlements = self._new_activities()
            except BrokerError:
                # Nothing of this poll is lost: the updates wait for the next poll, which asks REST again.
                self._carry, self._generation = updates, -1
                raise
        events: list[BrokerEvent] = []
        for data in updates:
            events.extend(self._from_update(data, priced))
        for fill in sorted(priced.values(), key=lambda f: f.ts):
            self._emit_fill(fill, events)
        events.extend(u for u in polled if self._report(u))
        events.extend(settlements)
        return events

    def _stream_gap(self) -> bool:
        """Whether updates may have been lost since the last poll: no stream, or it reconnected."""
        if self.stream is None:
            return True
        generation = self.stream.generation
        gap = generation != self._generation or not self.stream.connected
        self._generation = generation
        return gap

    def _from_update(self, data: dict[str, Any], priced: dict[ExecutionId, Fill]) -> list[BrokerEvent]:
        out: list[BrokerEvent] = []
        at = te._time(data.get("timestamp") or data["order"].get("updated_at"))
        if _is_fill(data):
            simple = te.stream_fill(data, self._known, self.account_id)
            if simple is not None:
                self._emit_fill(simple, out)
            for eid in te.mleg_fill_ids(data):
                fill = priced.pop(eid, None)
                if fill is not None:
                    self._emit_fill(fill, out)
                elif eid not in self._seen:
                    self._awaiting.add(eid)  # Alpaca has not listed it yet: the next poll asks again
        update = te.order_update(data["order"], self._known, at)
        if self._report(update):
            out.append(update)
        return out

    def _report(self, update: OrderUpdate) -> bool:
        """Whether a status is news: not a repeat, and not behind what was already reported (a stream
        update that was queued while a REST poll already saw the order further on)."""
        cid = update.client_order_id
        last = self._reported.get(cid)
        if last is not None:
            status, filled = last
            if (status, filled) == (update.status, update.filled_quantity):
                return False
            if status in TERMINAL or (update.filled_quantity or 0) < (filled or 0):
                return False
        self._reported[cid] = (update.status, update.filled_quantity)
        return True

    def _emit_fill(self, fill: Fill, out: list[BrokerEvent]) -> None:
        if fill.execution_id in self._seen:
            return  # the same execution by the other road, or delivered twice
        self._seen.add(fill.execution_id)
        self._awaiting.discard(fill.execution_id)
        out.append(fill)

    def _status_refresh(self) -> list[OrderUpdate]:
        """Our working orders' statuses over REST, for what a lost stream update would have said (not yet
        recorded as reported: `_report` decides when they are emitted, after the fills)."""
        working = [c for c, (s, _) in self._reported.items() if s not in TERMINAL]
        working += [c for c in self._known.ours if c not in self._reported]
        if not working:
            return []
        out: list[OrderUpdate] = []
        now = self._clock.now()
        for doc in self._orders_page("all"):
            cid = str(doc.get("client_order_id"))
            if cid not in working:
                continue
            out.append(te.order_update(doc, self._known, now, "alpaca (polled)"))
        return out

    # -- REST reads ------------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            return self._client.get(path, params)
        except Exception as exc:
            raise broker_error(exc, f"GET {path}") from None

    def _orders_page(self, status: str) -> list[dict[str, Any]]:
        docs = self._get("/orders", {"status": status, "limit": 500, "nested": "true", "direction": "desc"})
        for doc in docs:
            self._known.learn(doc)
        return list(docs)

    def _newest_activity_id(self) -> str | None:
        docs = self._get("/account/activities", {"activity_types": _ACTIVITY_TYPES, "direction": "desc",
                                                 "page_size": 1})  # fmt: skip
        return str(docs[0]["id"]) if docs else None

    def _activities(self, types: str, after: str | None) -> list[dict[str, Any]]:
        """Activities after the one with id `after` (all when None), oldest first, every page."""
        out: list[dict[str, Any]] = []
        while True:
            params: dict[str, Any] = {"activity_types": types, "direction": "asc", "page_size": _PAGE}
            if after is not None:
                params["page_token"] = after
            page = self._get("/account/activities", params)
            out.extend(page)
            if len(page) < _PAGE:
                return out
            after = str(page[-1]["id"])

    def _fills_of(self, docs: list[dict[str, Any]]) -> list[Fill]:
        if any(str(d.get("order_id")) not in self._known.legs for d in docs):
            self._orders_page("all")  # an order this process did not send: learn Alpaca's ids
        fills = []
        for doc in docs:
            fill = te.activity_fill(doc, self._known, self.account_id)
            if fill is None:
                self.unmatched_fills += 1
                what = f"{doc.get('id')} of order {doc.get('order_id')}"
                log.error("Alpaca fill %s: no such order in the account's last 500", what)
            else:
                fills.append(fill)
        return fills

    def _new_activities(self) -> tuple[dict[ExecutionId, Fill], list[BrokerEvent]]:
        docs = self._activities(_ACTIVITY_TYPES, self._cursor)
        if docs:
            self._cursor = str(docs[-1]["id"])
        fills = self._fills_of([d for d in docs if d.get("activity_type") == "FILL"])
        settlements: list[BrokerEvent] = []
        for doc in docs:
            s = te.settlement(doc, self.account_id)
            if s is not None:
                settlements.append(s)
        return {f.execution_id: f for f in fills if f.execution_id not in self._seen}, settlements

    def settlements_missed(self, known: Collection[str]) -> list[ExpirySettlement]:
        """Every exercise, assignment and expiry at Alpaca not among `known` (stored event ids), oldest
        first: what happened while no process listened, taken before the start's reconciliation."""
        docs = self._activities("OPEXC,OPASN,OPEXP", None)
        found = (te.settlement(doc, self.account_id) for doc in docs)
        return [s for s in found if s is not None and s.event_id not in known]

    def executions(self) -> Sequence[Fill]:
        return self._fills_of(self._activities("FILL", None))

    def account(self) -> AccountSnapshot:
        try:
            a = self._client.get_account()
        except Exception as exc:
            raise broker_error(exc, "account") from None
        power = getattr(a, "options_buying_power", None) or a.buying_power  # type: ignore[union-attr]
        return AccountSnapshot(
            account_id=self.account_id,
            ts=self._clock.now(),
            cash=Decimal(str(a.cash)),  # type: ignore[union-attr]
            buying_power=Decimal(str(power)),
            equity=Decimal(str(a.equity)),  # type: ignore[union-attr]
            currency=str(a.currency or "USD"),  # type: ignore[union-attr]
        )

    def positions(self) -> Sequence[BrokerPosition]:
        out = []
        for p in self._get("/positions", {}):
            qty = abs(int(Decimal(str(p["qty"]))))
            signed = -qty if str(p.get("side")) == "short" else qty
            out.append(BrokerPosition(str(p["symbol"]), signed, Decimal(str(p["avg_entry_price"]))))
        return sorted(out, key=lambda p: p.symbol)

    def open_orders(self) -> Sequence[Order]:
        from alpaca.trading.models import Order as AlpacaOrder

        return [
            domain_order(
                AlpacaOrder(**doc),
                self.account_id,
                self._known.ours.get(ClientOrderId(doc["client_order_id"])),
            )
            for doc in self._orders_page("open")
        ]


def _is_fill(data: dict[str, Any]) -> bool:
    return str(data.get("event")) in ("fill", "partial_fill")
