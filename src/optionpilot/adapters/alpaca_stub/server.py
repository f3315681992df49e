"""Starting the stub: in the foreground for the CLI, or on a thread for tests and rehearsals."""

from __future__ import annotations

import asyncio
import socket
import threading
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
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.core.calendars import Session
from optionpilot.core.clock import AcceleratedClock, Clock, SimulatedClock
from optionpilot.core.errors import ConfigError

STARTUP_WAIT_SECONDS = 60.0
T = TypeVar("T")


def first_sessions(config: StubConfig) -> list[Session]:
    """The replayed sessions of the stub's market (a market built on a still clock, only to ask)."""
    probe = SimulatedMarket(config.market, SimulatedClock(config.market_start_probe()), config.seed)
    return [probe.calendar.session(day) for day in probe.sessions()]


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


def bind(host: str, port: int) -> socket.socket:
    if host not in ("127.0.0.1", "localhost", "::1"):
        # A stub that trades with fixed keys has no business on a network interface.
        raise ConfigError(f"the stub binds only to the loopback (127.0.0.1), not {host!r}")
    sock = socket.socket(socket.AF_INET6 if host == "::1" else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


def _server(state: StubState) -> uvicorn.Server:
    app = build_app(state)
    config = uvicorn.Config(
        app,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
        access_log=False,
        # An open stream connection must not hold a stop for ever.
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


def serve_forever(state: StubState, sock: socket.socket) -> None:
    """Serve on a socket already bound (so the caller can say where before it blocks)."""
    _server(state).run(sockets=[sock])


@dataclass
class RunningStub:
    state: StubState
    server: uvicorn.Server
    thread: threading.Thread
    port: int
    loop: asyncio.AbstractEventLoop

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the stub's event loop (its state is only touched there) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(STARTUP_WAIT_SECONDS)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/stream"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STARTUP_WAIT_SECONDS)


def start_in_thread(config: StubConfig, clock: Clock | None = None) -> RunningStub:
    state = make_state(config, clock)
    sock = bind(config.host, config.port)
    port = int(sock.getsockname()[1])
    server = _server(state)
    ready = threading.Event()
    loops: list[asyncio.AbstractEventLoop] = []

    def run() -> None:
        async def main() -> None:
            loops.append(asyncio.get_running_loop())
            serving = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started and not serving.done():
                await asyncio.sleep(0.01)
            ready.set()
            await serving

        asyncio.run(main())
        ready.set()

    thread = threading.Thread(target=run, name=f"alpaca-stub-{port}", daemon=True)
    thread.start()
    if not ready.wait(STARTUP_WAIT_SECONDS) or not server.started:
        server.should_exit = True
        raise ConfigError(f"the Alpaca stub did not start on 127.0.0.1:{port}")
    return RunningStub(state, server, thread, port, loops[0])
