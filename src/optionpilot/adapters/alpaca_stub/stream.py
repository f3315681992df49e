"""The `trade_updates` websocket: authenticate, listen, then binary JSON frames as Alpaca sends them.

The SDK's TradingStream sends `{"action": "authenticate", "data": {"key_id", "secret_key"}}` and
`{"action": "listen", "data": {"streams": ["trade_updates"]}}` as text and reads JSON frames.
Faults: `duplicate-updates` sends an update twice; `drop-stream` closes every connection instead of
sending one (that update is lost, as on a real disconnect: Alpaca does not replay).
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from optionpilot.adapters.alpaca_stub.config import FaultName
from optionpilot.adapters.alpaca_stub.faults import Faults

log = logging.getLogger(__name__)


def _frame(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


class StreamHub:
    def __init__(self, key_id: str, secret_key: str, faults: Faults) -> None:
        self._key_id = key_id
        self._secret = secret_key
        self._faults = faults
        self._listeners: set[WebSocket] = set()
        self.sent = 0
        self.dropped = 0

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def _authorized(self, key: object, secret: object) -> bool:
        return (
            isinstance(key, str)
            and isinstance(secret, str)
            and hmac.compare_digest(key, self._key_id)
            and hmac.compare_digest(secret, self._secret)
        )

    async def serve(self, ws: WebSocket) -> None:
        await ws.accept()
        authorized = False
        try:
            while True:
                raw = await ws.receive()
                if raw["type"] == "websocket.disconnect":
                    return
                text = raw.get("text") or raw.get("bytes") or b""
                try:
                    msg = json.loads(text)
                    action = msg.get("action")
                    data = msg.get("data") or {}
                except (ValueError, AttributeError):
                    await ws.send_bytes(_frame({"stream": "error", "data": {"message": "invalid json"}}))
                    continue
                if action in ("authenticate", "auth"):
                    authorized = self._authorized(
                        data.get("key_id", msg.get("key")), data.get("secret_key", msg.get("secret"))
                    )
                    status = "authorized" if authorized else "unauthorized"
                    reply = {"stream": "authorization", "data": {"action": "authenticate", "status": status}}
                    await ws.send_bytes(_frame(reply))
                    if not authorized:
                        await ws.close()
                        return
                elif action == "listen":
                    if not authorized:
                        reply = {
                            "stream": "authorization",
                            "data": {"action": "listen", "status": "unauthorized"},
                        }
                        await ws.send_bytes(_frame(reply))
                        continue
                    streams = [s for s in (data.get("streams") or []) if s == "trade_updates"]
                    if streams:
                        self._listeners.add(ws)
                    else:
                        self._listeners.discard(ws)
                    await ws.send_bytes(_frame({"stream": "listening", "data": {"streams": streams}}))
        except WebSocketDisconnect:
            return
        finally:
            self._listeners.discard(ws)

    async def publish(self, message: dict[str, Any]) -> None:
        if not self._listeners:
            return
        if self._faults.fires(FaultName.DROP_STREAM):
            self.dropped += 1
            await self.close_all()
            return
        copies = 2 if self._faults.fires(FaultName.DUPLICATE_UPDATES) else 1
        frame = _frame(message)
        for ws in list(self._listeners):
            try:
                for _ in range(copies):
                    await ws.send_bytes(frame)
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
