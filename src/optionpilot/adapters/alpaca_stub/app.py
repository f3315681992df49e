"""The stub's HTTP and websocket routes (FastAPI): auth, the rate limit, faults, then Alpaca's paths."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket

from optionpilot.adapters.alpaca_stub import market_data
from optionpilot.adapters.alpaca_stub.broker import StubBroker
from optionpilot.adapters.alpaca_stub.config import FaultName
from optionpilot.adapters.alpaca_stub.documents import account_doc, asset_doc, order_doc, position_doc
from optionpilot.adapters.alpaca_stub.intake import invalid
from optionpilot.adapters.alpaca_stub.rate_limit import RateLimiter
from optionpilot.adapters.alpaca_stub.sessions import calendar_docs, clock_doc
from optionpilot.adapters.alpaca_stub.state import Order
from optionpilot.adapters.alpaca_stub.stream import StreamHub
from optionpilot.adapters.alpaca_stub.wire import AlpacaError, ErrorCode, OrderIn, ReplaceIn, error_body
from optionpilot.adapters.stub_common.serving import stub_app
from optionpilot.core.errors import OptionPilotError
from optionpilot.core.money import ZERO

log = logging.getLogger(__name__)
_WRITES = frozenset({"POST", "PATCH", "DELETE"})
_DATA_PATHS = ("/v2/stocks/", "/v1beta1/", "/v2/options/contracts")


class StubState:
    """What the routes share: the broker, the stream and the request counters."""

    def __init__(self, broker: StubBroker, hub: StreamHub, limiter: RateLimiter) -> None:
        self.broker = broker
        self.hub = hub
        self.limiter = limiter
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request let in

    async def flush(self) -> None:
        messages, self.broker.outbox = self.broker.outbox, []
        for message in messages:
            await self.hub.publish(message)

    async def run_steps(self) -> None:
        while True:
            try:
                self.broker.step()
                await self.flush()
            except OptionPilotError as exc:  # the simulated market ran out, or bad data: say so, go on
                log.warning("stub step: %s", exc)
            except Exception:
                # A step that fails must not end the loop: orders would silently stop filling.
                log.exception("stub step failed; the next step goes on")
            await asyncio.sleep(self.broker.config.step_seconds)


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _parse(model: type[BaseModel], raw: bytes) -> Any:
    try:
        return model.model_validate(json.loads(raw or b"{}"))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise invalid(f"invalid {where}: {first['msg']}") from None
        raise AlpacaError(400, ErrorCode.INVALID, "request body format is invalid") from None


def build_app(state: StubState) -> FastAPI:
    broker, config = state.broker, state.broker.config
    secret = config.api_secret_key.get_secret_value()
    app = stub_app(state.run_steps)

    @app.exception_handler(AlpacaError)
    async def _alpaca_error(_: Request, exc: AlpacaError) -> JSONResponse:
        return _json(exc.body(), exc.status)

    @app.exception_handler(OptionPilotError)
    async def _our_error(_: Request, exc: OptionPilotError) -> JSONResponse:
        return _json(error_body(ErrorCode.INVALID, str(exc)), 422)

    @app.middleware("http")
    async def _gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        key = request.headers.get("APCA-API-KEY-ID", "")
        given = request.headers.get("APCA-API-SECRET-KEY", "")
        if not (hmac.compare_digest(key, config.api_key_id) and hmac.compare_digest(given, secret)):
            return _json(error_body(ErrorCode.UNAUTHORIZED, "request is not authorized"), 401)
        allowed, remaining = state.limiter.allow()
        headers = {"X-RateLimit-Limit": str(state.limiter.limit), "X-RateLimit-Remaining": str(remaining)}
        if not allowed:
            return JSONResponse(error_body(ErrorCode.RATE_LIMIT, "rate limit exceeded"), 429, headers)
        if request.method in _WRITES:
            if broker.faults.fires(FaultName.HTTP_504):
                return _json(error_body(ErrorCode.GATEWAY_TIMEOUT, "gateway timeout"), 504)
            if broker.faults.fires(FaultName.HTTP_429):
                return JSONResponse(error_body(ErrorCode.RATE_LIMIT, "rate limit exceeded"), 429, headers)
        elif request.url.path.startswith(_DATA_PATHS):
            if broker.faults.fires(FaultName.DATA_504):
                return _json(error_body(ErrorCode.GATEWAY_TIMEOUT, "gateway timeout"), 504)
            if broker.faults.fires(FaultName.DATA_429):
                return JSONResponse(error_body(ErrorCode.RATE_LIMIT, "rate limit exceeded"), 429, headers)
        state.requests.append((request.method, request.url.path))
        response = await call_next(request)
        response.headers.update(headers)
        await state.flush()
        return response

    # -- account, clock, calendar -------------------------------------------------------------------

    @app.get("/v2/account")
    async def get_account() -> JSONResponse:
        now = broker.now()
        long_value = short_value = ZERO
        for p in broker.book.positions.values():
            mark = broker.mark(p.symbol, p.contract)
            value = (
                (mark if mark is not None else abs(p.cost) / (abs(p.qty) * p.multiplier))
                * p.qty
                * p.multiplier
            )
            if value >= 0:
                long_value += value
            else:
                short_value += value
        doc = account_doc(
            broker.book,
            long_value=long_value,
            short_value=short_value,
            buying_power=max(broker.buying_power(), ZERO),
            created_at=min(broker.created_at, now),
        )
        return _json(doc)

    @app.get("/v2/clock")
    async def get_clock() -> JSONResponse:
        return _json(clock_doc(broker.calendar, broker.now()))

    @app.get("/v2/calendar")
    async def get_calendar(request: Request) -> JSONResponse:
        return _json(calendar_docs(broker.calendar, broker.now(), request.query_params))

    # -- orders -------------------------------------------------------------------------------------

    @app.post("/v2/orders")
    async def post_order(request: Request) -> JSONResponse:
        order = broker.submit(_parse(OrderIn, await request.body()))
        if broker.faults.fires(FaultName.TIMEOUT_AFTER_ACCEPT):
            await state.flush()
            await asyncio.sleep(config.accept_timeout_hold_seconds)
            return _json(error_body(ErrorCode.GATEWAY_TIMEOUT, "gateway timeout"), 504)
        return _json(order_doc(order))

    @app.get("/v2/orders")
    async def list_orders(request: Request) -> JSONResponse:
        broker.now()
        q = request.query_params
        status = q.get("status", "open")
        orders = list(broker.book.orders.values())
        if status == "open":
            orders = [o for o in orders if o.is_open]
        elif status == "closed":
            orders = [o for o in orders if not o.is_open]
        elif status != "all":
            raise invalid(f"invalid status {status!r}; use open, closed or all")
        after = market_data.parse_time(q, "after", datetime.min.replace(tzinfo=broker.created_at.tzinfo))
        until = market_data.parse_time(q, "until", datetime.max.replace(tzinfo=broker.created_at.tzinfo))
        symbols = {s for s in (q.get("symbols") or "").split(",") if s}
        orders = [
            o
            for o in orders
            if after < o.created_at < until
            and (not symbols or symbols & {leg.symbol for leg in o.legs})
            and (not q.get("side") or (o.order_class == "simple" and o.legs[0].side == q.get("side")))
        ]
        orders.sort(key=lambda o: o.created_at, reverse=q.get("direction", "desc") != "asc")
        limit = min(int(q.get("limit") or 50), 500)
        return _json([order_doc(o) for o in orders[:limit]])

    @app.delete("/v2/orders")
    async def cancel_all() -> JSONResponse:
        out = []
        for o in broker.book.open_orders():
            broker.cancel(str(o.id))
            out.append({"id": str(o.id), "status": 200, "body": order_doc(o)})
        return _json(out, 207)

    @app.get("/v2/orders:by_client_order_id")
    async def by_client_id(client_order_id: str = "") -> JSONResponse:
        broker.now()
        order = broker.book.order_by_client_id(client_order_id)
        if order is None:
            raise AlpacaError(404, ErrorCode.NOT_FOUND, "order not found")
        return _json(order_doc(order))

    @app.get("/v2/orders/{order_id}")
    async def get_order(order_id: str) -> JSONResponse:
        broker.now()
        return _json(order_doc(broker.get(order_id)))

    @app.patch("/v2/orders/{order_id}")
    async def replace_order(order_id: str, request: Request) -> JSONResponse:
        return _json(order_doc(broker.replace(order_id, _parse(ReplaceIn, await request.body()))))

    @app.delete("/v2/orders/{order_id}")
    async def cancel_order(order_id: str) -> Response:
        broker.cancel(order_id)
        return Response(status_code=204)

    # -- positions and activities -------------------------------------------------------------------

    @app.get("/v2/positions")
    async def positions() -> JSONResponse:
        broker.now()
        return _json(
            [position_doc(p, broker.mark(p.symbol, p.contract)) for p in broker.book.positions.values()]
        )

    @app.get("/v2/positions/{symbol}")
    async def position(symbol: str) -> JSONResponse:
        broker.now()
        p = broker.book.positions.get(symbol)
        if p is None:
            raise AlpacaError(404, ErrorCode.NOT_FOUND, "position does not exist")
        return _json(position_doc(p, broker.mark(p.symbol, p.contract)))

    @app.delete("/v2/positions/{symbol}")
    async def close_position(
        symbol: str, qty: str | None = None, percentage: str | None = None
    ) -> JSONResponse:
        size = None
        try:
            if qty is not None:
                size = int(Decimal(qty))
            elif percentage is not None:
                share = Decimal(percentage)
                if not 0 < share <= 100:
                    raise invalid(f"percentage must be above 0 and at most 100, got {percentage}")
                size = max(int(abs(broker.book.held(symbol)) * share / 100), 1)
        except ArithmeticError:
            raise invalid(f"invalid qty or percentage: {qty or percentage!r}") from None
        return _json(order_doc(broker.close_position(symbol, size)))

    @app.delete("/v2/positions")
    async def close_all(cancel_orders: str | None = None) -> JSONResponse:
        if cancel_orders in ("true", "True", "1"):
            for o in broker.book.open_orders():
                broker.cancel(str(o.id))
        out = []
        for symbol in list(broker.book.positions):
            try:
                order: Order = broker.close_position(symbol, None)
                out.append({"symbol": symbol, "status": 200, "body": order_doc(order)})
            except AlpacaError as exc:
                out.append({"symbol": symbol, "status": exc.status, "body": {**exc.body(), "symbol": symbol}})
        return _json(out, 207)

    @app.get("/v2/account/activities")
    async def activities(request: Request) -> JSONResponse:
        return _json(_activities(state, request.query_params, None))

    @app.get("/v2/account/activities/{activity_type}")
    async def activities_of(activity_type: str, request: Request) -> JSONResponse:
        return _json(_activities(state, request.query_params, activity_type))

    # -- market data, assets and contracts -----------------------------------------------------------

    @app.get("/v2/assets")
    async def assets() -> JSONResponse:
        return _json([asset_doc(u) for u in broker.market.underlyings() if u.is_tradeable])

    @app.get("/v2/assets/{symbol}")
    async def asset(symbol: str) -> JSONResponse:
        found = [u for u in broker.market.underlyings() if u.symbol == symbol and u.is_tradeable]
        if not found:
            raise AlpacaError(404, ErrorCode.NOT_FOUND, f"asset not found for {symbol}")
        return _json(asset_doc(found[0]))

    @app.get("/v2/options/contracts")
    async def contracts(request: Request) -> JSONResponse:
        return _json(market_data.option_contracts(broker.market, broker.now(), request.query_params))

    @app.get("/v2/options/contracts/{symbol_or_id}")
    async def contract(symbol_or_id: str) -> JSONResponse:
        now = broker.now()
        c = broker.resolve(symbol_or_id)
        if c is None:
            raise AlpacaError(404, ErrorCode.NOT_FOUND, f"option contract {symbol_or_id} not found")
        today = broker.calendar.local_date(now)
        chain = broker.market.chain(c.underlying, min_dte=0, max_dte=max((c.expiry - today).days, 0))
        row = chain.find(c)
        if row is None:
            raise AlpacaError(404, ErrorCode.NOT_FOUND, f"option contract {symbol_or_id} not found")
        return _json(market_data.contract_doc(chain, row, today))

    @app.get("/v2/stocks/bars")
    async def bars(request: Request) -> JSONResponse:
        return _json(market_data.stock_bars(broker.market, broker.now(), request.query_params))

    @app.get("/v1beta1/options/snapshots/{underlying}")
    async def chain(underlying: str, request: Request) -> JSONResponse:
        return _json(market_data.option_chain(broker.market, broker.now(), underlying, request.query_params))

    @app.get("/v1beta1/news")
    async def news(request: Request) -> JSONResponse:
        return _json(market_data.news(broker.market, broker.now(), request.query_params))

    @app.websocket("/stream")
    async def stream(ws: WebSocket) -> None:
        await state.hub.serve(ws)

    return app


def _activities(state: StubState, q: market_data.Params, kind: str | None) -> list[dict[str, Any]]:
    state.broker.now()
    kinds = {kind} if kind else {k for k in (q.get("activity_types") or "").split(",") if k}
    items = [a for a in state.broker.book.activities if not kinds or a["activity_type"] in kinds]
    if q.get("direction", "desc") != "asc":
        items = items[::-1]
    token = q.get("page_token")
    if token:
        ids = [a["id"] for a in items]
        items = items[ids.index(token) + 1 :] if token in ids else []
    size = min(int(q.get("page_size") or 100), 100)
    return items[:size]
