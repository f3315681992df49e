"""Starting the stub: in the foreground for the CLI, or on a thread for tests and rehearsals."""

from __future__ import annotations

import socket
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import uvicorn

from optionpilot.adapters.alpaca_stub.app import StubState, build_app
from optionpilot.adapters.alpaca_stub.broker import StubBroker
from optionpilot.adapters.alpaca_stub.config import StubConfig
from optionpilot.adapters.alpaca_stub.rate_limit import RateLimiter
from optionpilot.adapters.alpaca_stub.stream import StreamHub
from optionpilot.adapters.stub_common.market_time import replayed_sessions
from optionpilot.adapters.stub_common.serving import (
    ServerThread,
    bind,
    serve_in_thread,
    uvicorn_server,
)
from optionpilot.core.calendars import Session
from optionpilot.core.clock import AcceleratedClock, Clock

__all__ = ["RunningStub", "bind", "first_sessions", "make_state", "serve_forever", "start_in_thread"]
T = TypeVar("T")


def first_sessions(config: StubConfig) -> list[Session]:
    return replayed_sessions(config.market, config.seed)


def make_state(config: StubConfig, clock: Clock | None = None) -> StubState:
    """`clock` replaces the accelerated clock (a test that steps time itself shares one with the client)."""
    if clock is None:
        start = config.start
        if start is None:
            start = first_sessions(config)[0].open - timedelta(minutes=5)
        clock = AcceleratedClock(start, config.speed)
    broker = StubBroker(config, clock)
    hub = StreamHub(config.api_key_id, config.api_secret_key.get_secret_value(), broker.faults)
    # Alpaca counts its limit per minute of its own time: real at Alpaca, accelerated here, so a rehearsal
    # at 60x allows what a real day allows, in a sixtieth of the time.
    limiter = RateLimiter(config.rate_limit_per_minute, seconds=lambda: broker.now().timestamp())
    return StubState(broker, hub, limiter)


def serve_forever(state: StubState, sock: socket.socket) -> None:
    """Serve on a socket already bound (so the caller can say where before it blocks)."""
    uvicorn_server(build_app(state)).run(sockets=[sock])


@dataclass
class RunningStub:
    state: StubState
    running: ServerThread

    @property
    def server(self) -> uvicorn.Server:
        return self.running.server

    @property
    def port(self) -> int:
        return self.running.port

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the stub's event loop (its state is only touched there) and wait for it."""
        return self.running.call(coroutine)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/stream"

    def stop(self) -> None:
        self.running.stop()


def start_in_thread(config: StubConfig, clock: Clock | None = None) -> RunningStub:
    state = make_state(config, clock)
    sock = bind(config.host, config.port)
    return RunningStub(state, serve_in_thread(uvicorn_server(build_app(state)), sock, "Alpaca stub"))
