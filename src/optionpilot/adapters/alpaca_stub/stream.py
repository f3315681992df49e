"""The `trade_updates` websocket: authenticate, listen, then binary JSON frames as Alpaca sends them.

The SDK's TradingStream sends `{"action": "authenticate", "data": {"key_id", "secret_key"}}` and
`{"action": "listen", "data": {"streams": ["trade_updates"]}}` as text and reads JSON frames.
Faults: `duplicate-updates` sends an update twice; `drop-stream` closes every connection instead of
sending one (that update is lost, as on a real disconnect: Alpaca does not replay).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from optionpilot.adapters.alpaca_stub.faults import Faults
from optionpilot.adapters.stub_common.broadcast import Broadcast, frame


def _frame(message: dict[str, Any]) -> bytes:
    return frame(message).encode()


class StreamHub:
    def __init__(self, key_id: str, secret_key: str, faults: Faults) -> None:
        self._key_id = key_id
        self._secret = secret_key
        self._out = Broadcast(faults, binary=True)

    @property
    def listeners(self) -> int:
        return self._out.listeners

    @property
    def sent(self) -> int:
        return self._out.sent

    @property
    def dropped(self) -> int:
        return self._out.dropped

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
                        self._out.add(ws)
                    else:
                        self._out.discard(ws)
                    await ws.send_bytes(_frame({"stream": "listening", "data": {"streams": streams}}))
        except WebSocketDisconnect:
            return
        finally:
            self._out.discard(ws)

    async def publish(self, message: dict[str, Any]) -> None:
        await self._out.publish(message)

    async def close_all(self) -> None:
        await self._out.close_all()
