"""The order-update websocket: a login message, then one JSON `order_alert` per change of an order.

The client sends `{"LoginReq": {"MsgCode": 42, "ClientId": ..., "Token": ...}, "UserType": "SELF"}`
as text; a wrong client id or token closes the socket (code 4001). Updates go out as text frames.
Faults (`duplicate-updates`, `drop-stream`) act as in the Alpaca stub; Dhan does not replay either.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from optionpilot.adapters.stub_common.broadcast import Broadcast
from optionpilot.adapters.stub_common.faults import Faults

LOGIN_CODE = 42
UNAUTHORIZED_CLOSE = 4001


class OrderUpdateHub:
    def __init__(self, client_id: str, access_token: str, faults: Faults) -> None:
        self._client_id = client_id
        self._token = access_token
        self.out = Broadcast(faults, binary=False)

    @property
    def listeners(self) -> int:
        return self.out.listeners

    def _login_ok(self, message: Any) -> bool:
        req = message.get("LoginReq") if isinstance(message, dict) else None
        if not isinstance(req, dict) or req.get("MsgCode") != LOGIN_CODE:
            return False
        client, token = req.get("ClientId"), req.get("Token")
        return (
            isinstance(client, str)
            and isinstance(token, str)
            and hmac.compare_digest(client, self._client_id)
            and hmac.compare_digest(token, self._token)
        )

    async def serve(self, ws: WebSocket) -> None:
        await ws.accept()
        try:
            raw = await ws.receive()
            if raw["type"] == "websocket.disconnect":
                return
            try:
                message = json.loads(raw.get("text") or raw.get("bytes") or b"")
            except ValueError:
                message = None
            if not self._login_ok(message):
                await ws.close(code=UNAUTHORIZED_CLOSE, reason="invalid client id or token")
                return
            self.out.add(ws)
            while True:
                raw = await ws.receive()
                if raw["type"] == "websocket.disconnect":
                    return
        except WebSocketDisconnect:
            return
        finally:
            self.out.discard(ws)

    async def publish(self, message: dict[str, Any]) -> None:
        await self.out.publish(message)

    async def close_all(self) -> None:
        await self.out.close_all()
