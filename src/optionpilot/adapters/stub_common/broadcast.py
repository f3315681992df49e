"""Sending one JSON message to every listening websocket, with the stream faults of the stubs.

`drop-stream` closes every connection instead of sending (the message is lost, as on a real
disconnect: neither Alpaca nor Dhan replays); `duplicate-updates` sends it twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from optionpilot.adapters.stub_common.faults import Faults

log = logging.getLogger(__name__)
DROP_STREAM = "drop-stream"
DUPLICATE_UPDATES = "duplicate-updates"


def frame(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


class Broadcast:
    def __init__(self, faults: Faults, *, binary: bool) -> None:
        self._faults = faults
        self._binary = binary
        self._listeners: set[WebSocket] = set()
        self.sent = 0
        self.dropped = 0

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def add(self, ws: WebSocket) -> None:
        self._listeners.add(ws)

    def discard(self, ws: WebSocket) -> None:
        self._listeners.discard(ws)

    async def publish(self, message: dict[str, Any]) -> None:
        if not self._listeners:
            return
        if self._faults.fires(DROP_STREAM):
            self.dropped += 1
            await self.close_all()
            return
        copies = 2 if self._faults.fires(DUPLICATE_UPDATES) else 1
        text = frame(message)
        for ws in list(self._listeners):
            try:
                for _ in range(copies):
                    if self._binary:
                        await ws.send_bytes(text.encode())
                    else:
                        await ws.send_text(text)
                    self.sent += 1
            except (WebSocketDisconnect, RuntimeError, OSError):
                self._listeners.discard(ws)

    async def close_all(self) -> None:
        for ws in list(self._listeners):
            self._listeners.discard(ws)
            try:
                await ws.close(code=1011)
            except (RuntimeError, OSError):
                log.debug("stream connection already closed")
