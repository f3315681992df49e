"""Starting the Dhan stub: in the foreground for the CLI, or on a thread for tests and rehearsals."""

from __future__ import annotations

import socket
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import uvicorn

from optionpilot.adapters.dhan_stub.app import DhanState, build_app
from optionpilot.adapters.dhan_stub.broker import DhanBroker
from optionpilot.adapters.dhan_stub.config import DhanStubConfig
from optionpilot.adapters.dhan_stub.feed import FeedHub
from optionpilot.adapters.dhan_stub.limits import Limiter
from optionpilot.adapters.dhan_stub.order_stream import OrderUpdateHub
from optionpilot.adapters.stub_common.market_time import replayed_sessions
from optionpilot.adapters.stub_common.serving import ServerThread, bind, serve_in_thread, uvicorn_server
from optionpilot.core.calendars import Session
from optionpilot.core.clock import AcceleratedClock

__all__ = ["RunningDhanStub", "bind", "first_sessions", "make_state", "serve_forever", "start_in_thread"]
T = TypeVar("T")


def first_sessions(config: DhanStubConfig) -> list[Session]:
    return replayed_sessions(config.market, config.seed)


def make_state(config: DhanStubConfig) -> DhanState:
    start = config.start
    if start is None:
        start = first_sessions(config)[0].open - timedelta(minutes=5)
    broker = DhanBroker(config, AcceleratedClock(start, config.speed))
    token = config.access_token.get_secret_value()
    updates = OrderUpdateHub(config.client_id, token, broker.faults)
    return DhanState(broker, updates, FeedHub(broker, token), Limiter(config.limits))


def _server(state: DhanState) -> uvicorn.Server:
    return uvicorn_server(build_app(state), ws_ping_interval=state.broker.config.ping_seconds)


def serve_forever(state: DhanState, sock: socket.socket) -> None:
    """Serve on a socket already bound (so the caller can say where before it blocks)."""
    _server(state).run(sockets=[sock])


@dataclass
class RunningDhanStub:
    state: DhanState
    running: ServerThread

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def url(self) -> str:
        """The REST base the SDK takes as `dhan_http.base_url` (with `/v2`)."""
        return f"http://127.0.0.1:{self.port}/v2"

    @property
    def order_update_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/order-update"

    @property
    def feed_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/feed"

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.running.call(coroutine)

    def stop(self) -> None:
        self.running.stop()


def start_in_thread(config: DhanStubConfig) -> RunningDhanStub:
    state = make_state(config)
    sock = bind(config.host, config.port)
    return RunningDhanStub(state, serve_in_thread(_server(state), sock, "Dhan stub"))
