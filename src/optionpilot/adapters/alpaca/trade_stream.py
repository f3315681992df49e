"""The trade_updates websocket on a background thread: authenticate, listen, reconnect with backoff.

Not alpaca-py's TradingStream: its `run()` owns an asyncio loop of its own, it reconnects inside without
telling the caller a connection was lost (we must then poll REST for what the gap swallowed), and its
`stop()` lands only at the next 5 s receive timeout. `websockets`' synchronous client gives a plain thread
with a bounded receive, and `generation` counts the connections so the broker sees every gap.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

log = logging.getLogger(__name__)
RECEIVE_SECONDS = 0.5  # how soon a stop request is seen
BACKOFF_START_SECONDS = 0.25
BACKOFF_MAX_SECONDS = 30.0


class StreamRefused(Exception):
    """Alpaca refused the keys: reconnecting cannot help."""


class TradeStream:
    """Trade updates (the `data` of each `trade_updates` message) into a thread-safe queue."""

    def __init__(
        self,
        url: str,
        key_id: str,
        secret: Callable[[], str],
        *,
        open_timeout_s: float = 10.0,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self._url = url
        self._key_id = key_id
        self._secret = secret  # read at each connect, never kept in a field that could be logged
        self._open_timeout = open_timeout_s
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self.updates: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._connected = False
        self.generation = 0  # connections made that reached `listening`
        self.disconnects = 0
        self.refused: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connected

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alpaca-trade-updates", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def drain(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            try:
                out.append(self.updates.get_nowait())
            except queue.Empty:
                return out

    def _run(self) -> None:
        backoff = BACKOFF_START_SECONDS
        while not self._stop.is_set():
            try:
                with connect(self._url, open_timeout=self._open_timeout, close_timeout=1, proxy=None) as ws:
                    self._subscribe(ws)
                    backoff = BACKOFF_START_SECONDS
                    self._listen(ws)
            except StreamRefused as exc:
                self.refused = str(exc)
                log.error("trade_updates stream refused: %s; no reconnect (REST polling covers fills)", exc)
                return
            except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
                log.warning(
                    "trade_updates stream lost (%s: %s); reconnecting in %.1f s",
                    type(exc).__name__,
                    exc,
                    backoff,
                )
            finally:
                self._set_connected(False)
            if self._stop.is_set() or self._sleep(backoff):
                return
            backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)

    def _set_connected(self, value: bool) -> None:
        with self._lock:
            if self._connected and not value:
                self.disconnects += 1
            if value:
                self.generation += 1
            self._connected = value

    def _subscribe(self, ws: ClientConnection) -> None:
        auth = {"action": "authenticate", "data": {"key_id": self._key_id, "secret_key": self._secret()}}
        ws.send(json.dumps(auth))
        reply = _message(ws.recv(timeout=self._open_timeout))
        if reply.get("stream") != "authorization" or (reply.get("data") or {}).get("status") != "authorized":
            raise StreamRefused(f"authentication answered {(reply.get('data') or {}).get('status', reply)!r}")
        ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
        reply = _message(ws.recv(timeout=self._open_timeout))
        if "trade_updates" not in ((reply.get("data") or {}).get("streams") or []):
            raise StreamRefused(f"listen answered {reply!r}")
        self._set_connected(True)

    def _listen(self, ws: ClientConnection) -> None:
        while not self._stop.is_set():
            try:
                raw = ws.recv(timeout=RECEIVE_SECONDS)
            except TimeoutError:
                continue
            message = _message(raw)
            if message.get("stream") == "trade_updates" and isinstance(message.get("data"), dict):
                self.updates.put(message["data"])


def _message(raw: str | bytes) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"stream message is not an object: {str(value)[:80]}")
    return value
