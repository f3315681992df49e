"""The dashboard's web app: pages, JSON API, actions through the Operator, server-sent events.

`create_app` takes everything it needs (the database engine, the config, the access token), so tests run
it in process with TestClient and the command serves it with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import plotly  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.operator import Operator
from optionpilot.app.report_data import report_data
from optionpilot.core.errors import OptionPilotError
from optionpilot.persistence import dashboard_reads as reads
from optionpilot.persistence.database import mask_url
from optionpilot.persistence.read_models import ReadModels
from optionpilot.reports.html import render_report
from optionpilot.web import views
from optionpilot.web.security import COOKIE, CSRF_FIELD, CSRF_HEADER, Access

_HERE = Path(__file__).parent
_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_OPEN = ("/healthz",)
# Nothing the page loads comes from anywhere but this server; inline styles are Plotly's own.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
KILL_WAIT_S = 5.0


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def to_json(value: object) -> str:
    return json.dumps(value, default=_json_default)


def create_app(
    engine: Engine,
    config: OptionPilotConfig,
    access: Access,
    *,
    operator: Operator | None = None,
    poll_s: float = 1.0,
    kill_wait_s: float = KILL_WAIT_S,
) -> FastAPI:
    app = FastAPI(title="OptionPilot dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    models = ReadModels(engine)
    op = operator or Operator(engine, config)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.filters["tojson_attr"] = to_json
    templates.env.filters["money"] = lambda v: "-" if v is None else f"{Decimal(v):,.2f}"
    templates.env.filters["pct"] = lambda v: "-" if v is None else f"{float(v):.2%}"
    templates.env.filters["num"] = lambda v, d=2: "-" if v is None else f"{float(v):,.{d}f}"
    templates.env.filters["when"] = lambda v: "-" if v is None else v.strftime("%Y-%m-%d %H:%M")
    database = mask_url(str(engine.url.render_as_string(hide_password=True)))

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path in _OPEN:
            return _secure(await call_next(request))
        if path.startswith("/api/"):
            if not access.bearer_ok(request.headers.get("authorization")):
                return _secure(JSONResponse({"error": "Authorization: Bearer <token> required"}, 401))
            return _secure(await call_next(request))
        given = request.query_params.get("token")
        if given is not None:
            if not access.token_ok(given):
                return _secure(HTMLResponse(_DENIED, 401))
            # The token leaves the address bar at once: the cookie carries the session from here.
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            response = RedirectResponse(path + (f"?{rest}" if rest else ""), 303)
            response.set_cookie(COOKIE, access.cookie_value, httponly=True, samesite="strict", path="/")
            return _secure(response)
        if not access.cookie_ok(request.cookies.get(COOKIE)):
            return _secure(HTMLResponse(_DENIED, 401))
        if request.method == "POST":
            body = await request.body()
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            if not access.csrf_ok(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)):
                return _secure(
                    HTMLResponse("<h1>403</h1><p>missing or wrong CSRF token: reload the page</p>", 403)
                )
            request.state.form = form
        return _secure(await call_next(request))

    def page(request: Request, name: str, **context: Any) -> HTMLResponse:
        params = dict(request.query_params)
        run, runs = views.pick_run(models, params.get("run"))
        base = {
            "run": run,
            "runs": runs,
            "params": params,
            "csrf": access.csrf,
            "database": database,
            "run_query": f"?run={run.run_id}" if run and params.get("run") else "",
            "path": request.url.path,
            "here": lambda **kw: _here(params, kw),
        }
        return templates.TemplateResponse(request, name, {**base, **context})

    def current(request: Request) -> Any:
        run, _ = views.pick_run(models, request.query_params.get("run"))
        return run

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/static/plotly.min.js")
    def plotly_js() -> FileResponse:
        return FileResponse(
            _PLOTLY_JS, media_type="text/javascript", headers={"cache-control": "max-age=86400"}
        )

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        path = (_HERE / "static" / name).resolve()
        if path.parent != (_HERE / "static").resolve() or not path.is_file():
            return Response("not found", 404)
        kind = (
            "text/javascript"
            if name.endswith(".js")
            else "text/css"
            if name.endswith(".css")
            else "text/plain"
        )
        return FileResponse(path, media_type=kind, headers={"cache-control": "max-age=3600"})

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        run = current(request)
        data = views.overview(models, op, config, run) if run else {}
        return page(request, "overview.html", **data)

    @app.get("/positions", response_class=HTMLResponse)
    def positions(request: Request) -> HTMLResponse:
        run = current(request)
        data = views.positions(models, config, run, dict(request.query_params)) if run else {}
        return page(request, "positions.html", **data)

    @app.get("/orders", response_class=HTMLResponse)
    def orders(request: Request) -> HTMLResponse:
        run = current(request)
        return page(
            request, "orders.html", **(views.orders(models, run, dict(request.query_params)) if run else {})
        )

    @app.get("/decisions", response_class=HTMLResponse)
    def decisions(request: Request) -> HTMLResponse:
        run = current(request)
        data = views.decisions(models, run, dict(request.query_params)) if run else {}
        return page(request, "decisions.html", **data)

    @app.get("/strategies", response_class=HTMLResponse)
    def strategies(request: Request) -> HTMLResponse:
        run = current(request)
        return page(
            request,
            "strategies.html",
            **(views.strategies(models, run, dict(request.query_params)) if run else {}),
        )

    @app.get("/runs", response_class=HTMLResponse)
    def runs(request: Request) -> HTMLResponse:
        return page(request, "runs.html", **views.runs(models, dict(request.query_params)))

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_report(request: Request, run_id: str) -> HTMLResponse:
        found = next((r for r in models.runs() if r.run_id == run_id), None)
        if found is None:
            return HTMLResponse(f"<p>run {_esc(run_id)} is not in the database</p>", 404)
        data = views.overview(models, op, config, found)
        return page(request, "report.html", report=views.run_headline(models, found), **data)

    @app.get("/runs/{run_id}/report", response_class=HTMLResponse)
    def static_report(run_id: str) -> HTMLResponse:
        """The run's HTML report, the same `optionpilot backtest` writes (inline SVG, nothing to fetch)."""
        if not any(r.run_id == run_id for r in models.runs()):
            return HTMLResponse(f"<p>run {_esc(run_id)} is not in the database</p>", 404)
        html = render_report(report_data(config, run_id), config.report)
        # The report's own inline script (its table sorting) runs by its hash; no other inline script does.
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
            for m in re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        )
        response = HTMLResponse(html)
        csp = _CSP.replace("script-src 'self'", f"script-src 'self' {hashes}")
        response.headers["content-security-policy"] = csp
        return response

    @app.get("/price", response_class=HTMLResponse)
    def price(request: Request) -> HTMLResponse:
        run = current(request)
        return page(
            request,
            "price.html",
            **(views.price(models, run, request.query_params.get("symbol")) if run else {}),
        )

    @app.get("/actions/kill", response_class=HTMLResponse)
    def kill_confirm(request: Request) -> HTMLResponse:
        return page(
            request,
            "confirm.html",
            action="/actions/kill",
            what="Halt trading: cancel every open order "
            "and close every position; only `optionpilot resume` brings it back.",
            accounts=op.accounts(),
        )

    @app.post("/actions/kill", response_class=HTMLResponse)
    def kill(request: Request) -> HTMLResponse:
        form: dict[str, str] = request.state.form
        if form.get("confirm") != "yes":
            return page(
                request, "result.html", title="Not confirmed", outcomes=[], error="tick the confirmation box"
            )
        account = form.get("account") or None
        reason = (form.get("reason") or "kill switch (dashboard)").strip()[:200]
        try:
            outcomes = op.kill(account, reason, kill_wait_s)
        except OptionPilotError as exc:
            return page(request, "result.html", title="Kill refused", outcomes=[], error=str(exc))
        return page(
            request,
            "result.html",
            title=f"Kill: {account or 'every account'} halted",
            outcomes=outcomes,
            error=None,
        )

    @app.get("/actions/close/{position_id}", response_class=HTMLResponse)
    def close_confirm(request: Request, position_id: str) -> HTMLResponse:
        return page(
            request,
            "confirm.html",
            action=f"/actions/close/{position_id}",
            what=f"Close position {position_id} (every leg, limit orders re-priced, a market order last).",
            accounts=None,
        )

    @app.post("/actions/close/{position_id}", response_class=HTMLResponse)
    def close(request: Request, position_id: str) -> HTMLResponse:
        form: dict[str, str] = request.state.form
        if form.get("confirm") != "yes":
            return page(
                request, "result.html", title="Not confirmed", outcomes=[], error="tick the confirmation box"
            )
        reason = (form.get("reason") or "closed from the dashboard").strip()[:200]
        try:
            outcomes = op.close(position_id, None, reason, kill_wait_s)
        except OptionPilotError as exc:
            return page(request, "result.html", title="Close refused", outcomes=[], error=str(exc))
        return page(request, "result.html", title=f"Close {position_id}", outcomes=outcomes, error=None)

    def api(request: Request, build: Callable[[Any], object]) -> Response:
        run = current(request)
        if run is None:
            return JSONResponse({"error": "no run in the database"}, 404)
        return Response(to_json({"run_id": run.run_id, "data": build(run)}), media_type="application/json")

    @app.get("/api/accounts")
    def api_accounts(request: Request) -> Response:
        return api(request, lambda run: views.overview(models, op, config, run)["accounts"])

    @app.get("/api/positions")
    def api_positions(request: Request) -> Response:
        params = dict(request.query_params)
        return api(request, lambda run: views.positions(models, config, run, params, None)["table"].rows)

    @app.get("/api/orders")
    def api_orders(request: Request) -> Response:
        params = dict(request.query_params)
        return api(request, lambda run: views.orders(models, run, params)["table"].rows)

    @app.get("/api/decisions")
    def api_decisions(request: Request) -> Response:
        params = dict(request.query_params)
        return api(request, lambda run: views.decisions(models, run, params)["table"].rows)

    @app.get("/events")
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            last = await asyncio.to_thread(reads.change_marker, engine)
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                await asyncio.sleep(poll_s)
                now = await asyncio.to_thread(reads.change_marker, engine)
                if now != last:
                    last = now
                    yield f"event: change\ndata: {to_json(list(now))}\n\n"
                else:
                    yield ": idle\n\n"  # a comment keeps proxies from closing the stream

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"cache-control": "no-cache"}
        )

    return app


def _here(params: dict[str, str], changes: dict[str, str]) -> str:
    """A link to the same page with other parameters, keeping the run it shows."""
    return "?" + urlencode({**({"run": params["run"]} if "run" in params else {}), **changes})


def _secure(response: Response) -> Response:
    response.headers.setdefault("content-security-policy", _CSP)
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["x-frame-options"] = "DENY"
    return response


def _esc(text: str) -> str:
    from html import escape

    return escape(text)


_DENIED = (
    "<!doctype html><title>OptionPilot dashboard</title><h1>401: token required</h1>"
    "<p>Open the address <code>optionpilot dashboard</code> printed (it carries <code>?token=</code>).</p>"
)
