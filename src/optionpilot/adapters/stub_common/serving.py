"""Serving a stub's app: bound to the loopback only, in the foreground or on a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from optionpilot.core.errors import ConfigError

STARTUP_WAIT_SECONDS = 60.0


def stub_app(run_steps: Callable[[], Coroutine[Any, Any, None]]) -> FastAPI:
    """A stub's FastAPI app with no documentation routes, whose background steps (matching, the clock's
    events) run while it serves and stop with it."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(run_steps())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


T = TypeVar("T")


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


def uvicorn_server(app: FastAPI, *, ws_ping_interval: float = 20.0) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_level="warning",
        ws="websockets-sansio",
        ws_ping_interval=ws_ping_interval,
        lifespan="on",
        access_log=False,
        # An open stream connection must not hold a stop for ever.
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


@dataclass
class ServerThread:
    server: uvicorn.Server
    thread: threading.Thread
    port: int
    loop: asyncio.AbstractEventLoop

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's event loop (a stub's state is only touched there) and wait."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(STARTUP_WAIT_SECONDS)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(STARTUP_WAIT_SECONDS)


def serve_in_thread(server: uvicorn.Server, sock: socket.socket, name: str) -> ServerThread:
    port = int(sock.getsockname()[1])
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

    thread = threading.Thread(target=run, name=f"{name}-{port}", daemon=True)
    thread.start()
    if not ready.wait(STARTUP_WAIT_SECONDS) or not server.started:
        server.should_exit = True
        raise ConfigError(f"the {name} did not start on 127.0.0.1:{port}")
    return ServerThread(server, thread, port, loops[0])
