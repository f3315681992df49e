"""The live market feed: `/feed?version=2&token=...&clientId=...&authType=2`, JSON requests in, binary
packets out (`adapters.dhan.feed_packets`).

Subscribe messages carry `RequestCode` 15 (ticker), 17 (quote) or 21 (full) and at most 100
instruments; 16, 18 and 22 unsubscribe; 12 disconnects. A connection holds at most 5,000 instruments.
On subscribing, an instrument's previous close is sent once; then its packets every `feed_seconds`
while they change. A bad token or client id, or a request over the limits, gets a disconnect packet
with Dhan's reason (804 instruments over the limit, 808 bad client id, 809 bad token) and a close.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from optionpilot.adapters.dhan import feed_packets as fp
from optionpilot.adapters.dhan_stub.broker import DhanBroker
from optionpilot.adapters.dhan_stub.market_data import option_packets, underlying_packet

log = logging.getLogger(__name__)
SUBSCRIBE = {
    fp.RequestCode.SUBSCRIBE_TICKER,
    fp.RequestCode.SUBSCRIBE_QUOTE,
    fp.RequestCode.SUBSCRIBE_FULL,
}
UNSUBSCRIBE = {code + 1: code for code in SUBSCRIBE}
TOO_MANY_INSTRUMENTS, BAD_CLIENT_ID, BAD_TOKEN, BAD_REQUEST = 804, 808, 809, 814

Key = tuple[int, int]  # segment code, security id


class FeedError(Exception):
    def __init__(self, reason: int) -> None:
        super().__init__(reason)
        self.reason = reason


class FeedHub:
    def __init__(self, broker: DhanBroker, access_token: str) -> None:
        self._broker = broker
        self._token = access_token
        self.connections = 0
        self.packets_sent = 0

    def _check_login(self, params: Mapping[str, str]) -> int | None:
        if not hmac.compare_digest(params.get("clientId", ""), self._broker.client_id):
            return BAD_CLIENT_ID
        if not hmac.compare_digest(params.get("token", ""), self._token):
            return BAD_TOKEN
        return None

    async def serve(self, ws: WebSocket) -> None:
        await ws.accept()
        refused = self._check_login(ws.query_params)
        if refused is not None:
            await _disconnect(ws, refused)
            return
        subs: dict[Key, int] = {}
        self.connections += 1
        sender = asyncio.create_task(self._send_loop(ws, subs))
        try:
            while True:
                raw = await ws.receive()
                if raw["type"] == "websocket.disconnect":
                    return
                try:
                    fresh = self._request(raw.get("text") or raw.get("bytes") or b"", subs)
                except FeedError as exc:
                    await _disconnect(ws, exc.reason)
                    return
                if fresh is None:
                    await ws.close(code=1000)
                    return
                for key in fresh:
                    await self._send_prev_close(ws, key)
        except WebSocketDisconnect:
            return
        finally:
            self.connections -= 1
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    def _request(self, text: str | bytes, subs: dict[Key, int]) -> list[Key] | None:
        """Apply one client message; the new keys, or None for a disconnect request."""
        try:
            msg: Any = json.loads(text)
            code = int(msg["RequestCode"])
        except (ValueError, TypeError, KeyError):
            raise FeedError(BAD_REQUEST) from None
        if code == fp.RequestCode.DISCONNECT:
            return None
        if code not in SUBSCRIBE and code not in UNSUBSCRIBE:
            raise FeedError(BAD_REQUEST)
        items = msg.get("InstrumentList") or []
        if not isinstance(items, list) or len(items) > fp.MAX_INSTRUMENTS_PER_MESSAGE:
            raise FeedError(TOO_MANY_INSTRUMENTS)
        keys: list[Key] = []
        for item in items:
            try:
                keys.append((fp.SEGMENT_CODES[item["ExchangeSegment"]], int(item["SecurityId"])))
            except (KeyError, TypeError, ValueError):
                raise FeedError(BAD_REQUEST) from None
        if code in UNSUBSCRIBE:
            for key in keys:
                subs.pop(key, None)
            return []
        fresh = [k for k in keys if k not in subs]
        if len(subs) + len(fresh) > fp.MAX_INSTRUMENTS_PER_CONNECTION:
            raise FeedError(TOO_MANY_INSTRUMENTS)
        for key in keys:
            subs[key] = code
        return fresh

    def _packets(self, key: Key, mode: int) -> list[fp.Packet]:
        segment, sid = key
        broker = self._broker
        if segment == fp.SEGMENT_CODES["NSE_FNO"]:
            listed = broker.instruments.listed(sid)
            return [] if listed is None else option_packets(broker.market, listed, mode)
        u = broker.instruments.underlying_of(sid, fp.SEGMENTS.get(segment, ""))
        return [] if u is None else [underlying_packet(broker.market, u, segment, sid, broker.now())]

    async def _send_prev_close(self, ws: WebSocket, key: Key) -> None:
        packets = self._packets(key, fp.RequestCode.SUBSCRIBE_TICKER)
        if packets and isinstance(packets[0], fp.Ticker):
            await ws.send_bytes(fp.encode_prev_close(fp.PrevClose(key[0], key[1], packets[0].ltp, 0)))
            self.packets_sent += 1

    async def _send_loop(self, ws: WebSocket, subs: dict[Key, int]) -> None:
        last: dict[Key, bytes] = {}
        while True:
            try:
                self._broker.now()
                for key, mode in list(subs.items()):
                    encoded = [fp.encode_packet(p) for p in self._packets(key, mode)]
                    data = b"".join(encoded)
                    if data and last.get(key) != data:
                        for packet in encoded:
                            await ws.send_bytes(packet)
                            self.packets_sent += 1
                        last[key] = data
            except (WebSocketDisconnect, RuntimeError, OSError):
                return
            await asyncio.sleep(self._broker.config.feed_seconds)


async def _disconnect(ws: WebSocket, reason: int) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await ws.send_bytes(fp.encode_disconnect(fp.Disconnect(0, 0, reason)))
        await ws.close(code=1000)
