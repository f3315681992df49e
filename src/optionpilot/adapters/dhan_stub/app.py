"""The Dhan stub's routes (FastAPI): the `access-token`/`client-id` headers, rate limits, faults, then
Dhan's v2 paths, the order-update socket (`/order-update`) and the market feed (`/feed`)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket

from optionpilot.adapters.dhan_stub import market_data
from optionpilot.adapters.dhan_stub.broker import DhanBroker
from optionpilot.adapters.dhan_stub.config import DhanFault
from optionpilot.adapters.dhan_stub.documents import fund_doc, order_doc, position_doc, trade_doc
from optionpilot.adapters.dhan_stub.exits import PnlExit, PnlExitIn, exit_all, watch_pnl
from optionpilot.adapters.dhan_stub.feed import FeedHub
from optionpilot.adapters.dhan_stub.limits import Kind, Limiter
from optionpilot.adapters.dhan_stub.order_stream import OrderUpdateHub
from optionpilot.adapters.dhan_stub.quotes import market_quotes
from optionpilot.adapters.dhan_stub.state import Order
from optionpilot.adapters.dhan_stub.wire import (
    ChainIn,
    DhanError,
    ErrorCode,
    ModifyIn,
    OrderIn,
    bad_input,
    error_body,
    not_found,
    status_of,
)
from optionpilot.adapters.stub_common.serving import stub_app
from optionpilot.core.errors import OptionPilotError
from optionpilot.domain.instruments import Underlying

log = logging.getLogger(__name__)
_WRITES = frozenset({"POST", "PUT", "DELETE"})
HISTORY_PAGE = 20  # trades per page of the trade history


class DhanState:
    """What the routes share: the broker, the two sockets, the limiter and a log of requests let in."""

    def __init__(self, broker: DhanBroker, updates: OrderUpdateHub, feed: FeedHub, limiter: Limiter) -> None:
        self.broker = broker
        self.pnl_exit = PnlExit()
        self.updates = updates
        self.feed = feed
        self.limiter = limiter
        self.requests: list[tuple[str, str]] = []

    async def flush(self) -> None:
        messages, self.broker.outbox = self.broker.outbox, []
        for message in messages:
            await self.updates.publish(message)

    async def run_steps(self) -> None:
        while True:
            try:
                self.broker.step()
                watch_pnl(self.broker, self.pnl_exit)
                await self.flush()
            except OptionPilotError as exc:  # the simulated market ran out, or bad data: say so, go on
                log.warning("dhan stub step: %s", exc)
            except Exception:
                # A step that fails must not end the loop: orders would silently stop filling.
                log.exception("dhan stub step failed; the next step goes on")
            await asyncio.sleep(self.broker.config.step_seconds)


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _error(code: ErrorCode, message: str) -> JSONResponse:
    return _json(error_body(code, message), status_of(code))


def _parse(model: type[BaseModel], raw: bytes) -> Any:
    try:
        return model.model_validate(json.loads(raw or b"{}"))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise bad_input(f"invalid {where}: {first['msg']}") from None
        raise bad_input("request body is not valid JSON") from None


def _kind(method: str, path: str) -> Kind:
    if path.startswith("/v2/orders") and method in _WRITES:
        return Kind.ORDERS
    if path.startswith("/v2/optionchain"):
        return Kind.DATA
    if path.startswith("/v2/marketfeed"):
        return Kind.QUOTE
    return Kind.NON_TRADING


def _placed(order: Order) -> dict[str, str]:
    return {"orderId": order.order_id, "orderStatus": order.status}


def build_app(state: DhanState) -> FastAPI:
    broker, config = state.broker, state.broker.config
    token = config.access_token.get_secret_value()
    app = stub_app(state.run_steps)

    @app.exception_handler(DhanError)
    async def _dhan_error(_: Request, exc: DhanError) -> JSONResponse:
        return _json(exc.body(), exc.status)

    @app.exception_handler(OptionPilotError)
    async def _our_error(_: Request, exc: OptionPilotError) -> JSONResponse:
        return _error(ErrorCode.DATA_ERROR, str(exc))

    @app.middleware("http")
    async def _gate(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        client = request.headers.get("client-id", "")
        given = request.headers.get("access-token", "")
        if not (hmac.compare_digest(client, config.client_id) and hmac.compare_digest(given, token)):
            return _error(
                ErrorCode.INVALID_AUTHENTICATION,
                "Client ID or user generated access token is invalid or expired.",
            )
        if broker.faults.fires(DhanFault.DH_904):
            return _error(ErrorCode.RATE_LIMIT, "Too many requests on server from the user")
        kind = _kind(request.method, request.url.path)
        refused = state.limiter.allow(kind)
        if refused is not None:
            return _error(ErrorCode.RATE_LIMIT, f"Too many requests: over the limit of {refused}")
        if kind is Kind.ORDERS:
            if broker.faults.fires(DhanFault.HTTP_504):
                return _error(ErrorCode.NETWORK_ERROR, "Gateway timeout")
            if broker.faults.fires(DhanFault.HTTP_429):
                return _error(ErrorCode.RATE_LIMIT, "Too many requests on server from the user")
        state.requests.append((request.method, request.url.path))
        response = await call_next(request)
        await state.flush()
        return response

    # -- orders -------------------------------------------------------------------------------

    @app.post("/v2/orders")
    async def place(request: Request) -> JSONResponse:
        order = broker.place(_parse(OrderIn, await request.body()))[0]
        if broker.faults.fires(DhanFault.TIMEOUT_AFTER_ACCEPT):
            await state.flush()
            await asyncio.sleep(config.accept_timeout_hold_seconds)
            return _error(ErrorCode.NETWORK_ERROR, "Gateway timeout")
        return _json(_placed(order))

    @app.post("/v2/orders/slicing")
    async def place_sliced(request: Request) -> JSONResponse:
        orders = broker.place(_parse(OrderIn, await request.body()), sliced=True)
        return _json([_placed(o) for o in orders])

    @app.get("/v2/orders")
    async def order_book() -> JSONResponse:
        broker.now()
        return _json([order_doc(o, broker.client_id) for o in broker.book.orders.values()])

    @app.get("/v2/orders/external/{correlation_id}")
    async def by_correlation(correlation_id: str) -> JSONResponse:
        return _json(order_doc(broker.by_correlation(correlation_id), broker.client_id))

    @app.get("/v2/orders/{order_id}")
    async def get_order(order_id: str) -> JSONResponse:
        return _json(order_doc(broker.get(order_id), broker.client_id))

    @app.put("/v2/orders/{order_id}")
    async def modify(order_id: str, request: Request) -> JSONResponse:
        return _json(_placed(broker.modify(order_id, _parse(ModifyIn, await request.body()))))

    @app.delete("/v2/orders/{order_id}")
    async def cancel(order_id: str) -> JSONResponse:
        return _json(_placed(broker.cancel(order_id)))

    # -- trades, positions, funds -------------------------------------------------------------

    @app.get("/v2/trades")
    @app.get("/v2/trades/")
    async def trades() -> JSONResponse:
        broker.now()
        return _json([trade_doc(t, broker.client_id) for t in broker.book.trades])

    @app.get("/v2/trades/{order_id}")
    async def trades_of(order_id: str) -> JSONResponse:
        order = broker.get(order_id)
        return _json([trade_doc(t, broker.client_id) for t in broker.book.trades if t.order is order])

    @app.get("/v2/trades/{from_date}/{to_date}/{page}")
    async def trade_history(from_date: str, to_date: str, page: int) -> JSONResponse:
        broker.now()
        try:
            start, end = date.fromisoformat(from_date), date.fromisoformat(to_date)
        except ValueError:
            raise bad_input(f"dates {from_date!r}, {to_date!r}: use YYYY-MM-DD") from None
        found = [t for t in broker.book.trades if start <= broker.calendar.local_date(t.at) <= end]
        chunk = found[page * HISTORY_PAGE : (page + 1) * HISTORY_PAGE]
        return _json([trade_doc(t, broker.client_id) for t in chunk])

    @app.get("/v2/positions")
    async def positions() -> JSONResponse:
        broker.now()
        return _json(
            [position_doc(p, broker.mark(p.listed), broker.client_id) for p in broker.book.positions.values()]
        )

    @app.delete("/v2/positions")
    async def exit_positions() -> JSONResponse:
        sent = exit_all(broker, broker.now())
        return _json(
            {"status": "SUCCESS", "message": f"{len(sent)} positions exited, pending orders cancelled"}
        )

    @app.post("/v2/pnlExit")
    async def set_pnl_exit(request: Request) -> JSONResponse:
        state.pnl_exit.rule = _parse(PnlExitIn, await request.body())
        return _json({"pnlExitStatus": "ACTIVE", "message": "P&L based exit configured successfully"})

    @app.get("/v2/pnlExit")
    async def get_pnl_exit() -> JSONResponse:
        return _json(state.pnl_exit.doc())

    @app.delete("/v2/pnlExit")
    async def stop_pnl_exit() -> JSONResponse:
        state.pnl_exit.rule = None
        return _json({"pnlExitStatus": "DISABLED", "message": "P&L based exit stopped successfully"})

    @app.get("/v2/fundlimit")
    async def fund_limit() -> JSONResponse:
        broker.now()
        return _json(fund_doc(broker.client_id, broker.book.cash, broker.utilized(), config.cash))

    # -- option chain -------------------------------------------------------------------------

    def _underlying(req: ChainIn) -> Underlying:
        u = broker.instruments.underlying_of(req.underlying_scrip, req.underlying_seg)
        if u is None:
            raise bad_input(
                f"UnderlyingScrip {req.underlying_scrip} in {req.underlying_seg} is not an underlying here "
                "(indices are in IDX_I, stocks in NSE_EQ)"
            )
        return u

    @app.post("/v2/optionchain")
    async def option_chain(request: Request) -> JSONResponse:
        req: ChainIn = _parse(ChainIn, await request.body())
        u = _underlying(req)
        expiry = market_data.parse_expiry(req.expiry)
        if not state.limiter.allow_chain((req.underlying_scrip, req.underlying_seg, expiry)):
            return _error(ErrorCode.RATE_LIMIT, "Option chain: one request per 3 seconds per expiry")
        today = broker.calendar.local_date(broker.now())
        return _json(market_data.option_chain(broker.market, broker.instruments, u, expiry, today))

    @app.post("/v2/optionchain/expirylist")
    async def expiry_list(request: Request) -> JSONResponse:
        u = _underlying(_parse(ChainIn, await request.body()))
        today = broker.calendar.local_date(broker.now())
        days = market_data.expiries(broker.market, u, today)
        return _json({"data": [d.isoformat() for d in days], "status": "success"})

    @app.post("/v2/marketfeed/{kind}")
    async def market_feed(kind: str, request: Request) -> JSONResponse:
        if kind not in ("ltp", "ohlc", "quote"):
            raise not_found(f"no market quote {kind!r}; use ltp, ohlc or quote")
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise bad_input("request body is not valid JSON") from None
        body.pop("dhanClientId", None)  # the SDK adds it to every body
        return _json(market_quotes(broker, body, kind))

    # -- kill switch --------------------------------------------------------------------------

    @app.post("/v2/killswitch")
    async def kill_switch(killSwitchStatus: str = "") -> JSONResponse:
        action = killSwitchStatus.upper()
        if action not in ("ACTIVATE", "DEACTIVATE"):
            raise bad_input(f"killSwitchStatus {killSwitchStatus!r}: use ACTIVATE or DEACTIVATE")
        broker.set_kill_switch(action == "ACTIVATE")
        text = "activated" if action == "ACTIVATE" else "deactivated"
        return _json(
            {
                "dhanClientId": broker.client_id,
                "killSwitchStatus": f"Kill Switch has been successfully {text}",
            }
        )

    @app.get("/v2/killswitch")
    async def kill_switch_status() -> JSONResponse:
        status = "ACTIVATE" if broker.kill_switch_on() else "DEACTIVATE"
        return _json({"dhanClientId": broker.client_id, "killSwitchStatus": status})

    # -- sockets ------------------------------------------------------------------------------

    @app.websocket("/order-update")
    async def order_updates(ws: WebSocket) -> None:
        await state.updates.serve(ws)

    @app.websocket("/feed")
    async def feed(ws: WebSocket) -> None:
        await state.feed.serve(ws)

    return app
