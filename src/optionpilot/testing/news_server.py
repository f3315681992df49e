"""A local HTTP stub for news tests: feed documents by path, and Alpaca's news endpoint on its wire format.

It binds 127.0.0.1 on a free port and runs in a thread; tests never touch the network.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = RSS
    etag: str | None = None
    last_modified: str | None = None
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class SeenRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class AlpacaNewsRoute:
    items: list[dict[str, Any]]
    key_id: str
    secret_key: str
    pages_served: int = 0


@dataclass
class _State:
    routes: dict[str, Route] = field(default_factory=dict)
    alpaca: dict[str, AlpacaNewsRoute] = field(default_factory=dict)
    requests: list[SeenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _created(item: Mapping[str, Any]) -> datetime | None:
    """The record's time, or None when it has none usable (served anyway: the client must cope)."""
    try:
        t = datetime.fromisoformat(str(item.get("created_at")))
    except ValueError:
        return None
    return t if t.tzinfo is not None else None


def _in_window(item: Mapping[str, Any], start: datetime | None, end: datetime | None) -> bool:
    t = _created(item)
    return t is None or ((start is None or t >= start) and (end is None or t <= end))


def _order(item: Mapping[str, Any]) -> datetime:
    return _created(item) or datetime.min.replace(tzinfo=UTC)


class _Handler(BaseHTTPRequestHandler):
    state: _State  # set on the subclass each server makes

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read `requests` instead."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        seen = SeenRequest(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()})
        with self.state.lock:
            self.state.requests.append(seen)
            route = self.state.routes.get(parts.path)
            alpaca = self.state.alpaca.get(parts.path)
        if alpaca is not None:
            self._alpaca(alpaca, seen)
        elif route is not None:
            self._route(route, seen)
        else:
            self._send(404, b"not found", "text/plain")

    def _route(self, route: Route, seen: SeenRequest) -> None:
        if route.delay_seconds:
            time.sleep(route.delay_seconds)
        if (route.etag and seen.headers.get("if-none-match") == route.etag) or (
            route.last_modified and seen.headers.get("if-modified-since") == route.last_modified
        ):
            self._send(304, b"", route.content_type, route)
            return
        self._send(route.status, route.body, route.content_type, route)

    def _alpaca(self, api: AlpacaNewsRoute, seen: SeenRequest) -> None:
        if (
            seen.headers.get("apca-api-key-id") != api.key_id
            or seen.headers.get("apca-api-secret-key") != api.secret_key
        ):
            self._json(401, {"message": "unauthorized."})
            return
        q = {k: v[-1] for k, v in seen.query.items()}
        try:
            limit = int(q.get("limit", "10"))
            offset = int(base64.b64decode(q["page_token"]).decode()) if "page_token" in q else 0
            start = datetime.fromisoformat(q["start"]) if "start" in q else None
            end = datetime.fromisoformat(q["end"]) if "end" in q else None
        except ValueError as exc:
            self._json(400, {"message": f"invalid request: {exc}"})
            return
        if not 1 <= limit <= 50:
            self._json(422, {"message": "invalid limit"})
            return
        symbols = set(q["symbols"].split(",")) if q.get("symbols") else None
        chosen = [
            it
            for it in api.items
            if _in_window(it, start, end) and (symbols is None or symbols & set(it.get("symbols", [])))
        ]
        chosen.sort(key=_order, reverse=q.get("sort", "desc") == "desc")
        page = chosen[offset : offset + limit]
        more = offset + limit < len(chosen)
        token = base64.b64encode(str(offset + limit).encode()).decode() if more else None
        with self.state.lock:
            api.pages_served += 1
        self._json(200, {"news": page, "next_page_token": token})

    def _json(self, status: int, body: object) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str, route: Route | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if route is not None and route.etag:
                self.send_header("ETag", route.etag)
            if route is not None and route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer


class NewsStubServer:
    """Use as a context manager; `url(path)` is where a route is served."""

    def __init__(self) -> None:
        self._state = _State()
        handler = type("Handler", (_Handler,), {"state": self._state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="news-stub", daemon=True)

    def __enter__(self) -> NewsStubServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        # shutdown() waits for serve_forever, which never runs if the server was not entered.
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def serve(
        self,
        path: str,
        body: bytes | str,
        *,
        status: int = 200,
        content_type: str = RSS,
        etag: str | None = None,
        last_modified: str | None = None,
        delay_seconds: float = 0.0,
    ) -> str:
        """Serve `body` at `path` (replacing what was there); returns its URL."""
        data = body.encode() if isinstance(body, str) else body
        with self._state.lock:
            self._state.routes[path] = Route(data, status, content_type, etag, last_modified, delay_seconds)
        return self.url(path)

    def serve_file(self, path: str, file: Path, **kwargs: Any) -> str:
        return self.serve(path, file.read_bytes(), **kwargs)

    def serve_alpaca_news(
        self, items: Sequence[Mapping[str, Any]], *, key_id: str, secret_key: str, path: str = "/v1beta1/news"
    ) -> AlpacaNewsRoute:
        """Alpaca's news endpoint over `items` (its JSON records), paginated, checking the key headers."""
        route = AlpacaNewsRoute([dict(i) for i in items], key_id, secret_key)
        with self._state.lock:
            self._state.alpaca[path] = route
        return route

    @property
    def requests(self) -> list[SeenRequest]:
        with self._state.lock:
            return list(self._state.requests)

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]
