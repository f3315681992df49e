"""Dhan's v2 live market feed packets: little-endian binary, one layout per response code.

Every packet starts with an 8-byte header: response code (uint8), message length (int16, the whole
packet), exchange segment (uint8), security id (int32). Prices are float32 rupees, times epoch
seconds (int32). The stub encodes with `encode_*`; the adapter decodes with `decode_packet` (one
packet) or `decode_packets` (a message holding several back to back). Anything truncated, of an
unknown code or with a length that disagrees raises `FeedPacketError` with a one-line reason.

float32 carries about 7 significant digits: prices below 65,536 round-trip exactly to the paisa,
which covers every option premium and the NIFTY and BANKNIFTY levels.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

from optionpilot.core.errors import DataError


class FeedPacketError(DataError):
    """A feed message that is not a well-formed Dhan packet."""


class ResponseCode(IntEnum):
    INDEX = 1
    TICKER = 2
    QUOTE = 4
    OI = 5
    PREV_CLOSE = 6
    MARKET_STATUS = 7
    FULL = 8
    DISCONNECT = 50


class RequestCode(IntEnum):
    """The JSON `RequestCode` of a client message (subscribe, unsubscribe, disconnect)."""

    CONNECT = 11
    DISCONNECT = 12
    SUBSCRIBE_TICKER = 15
    UNSUBSCRIBE_TICKER = 16
    SUBSCRIBE_QUOTE = 17
    UNSUBSCRIBE_QUOTE = 18
    SUBSCRIBE_FULL = 21
    UNSUBSCRIBE_FULL = 22


# The feed's numeric exchange segments and their names in JSON messages and REST.
SEGMENTS: dict[int, str] = {
    0: "IDX_I",
    1: "NSE_EQ",
    2: "NSE_FNO",
    3: "NSE_CURRENCY",
    4: "BSE_EQ",
    5: "MCX_COMM",
    7: "BSE_CURRENCY",
    8: "BSE_FNO",
}
SEGMENT_CODES: dict[str, int] = {name: code for code, name in SEGMENTS.items()}
MAX_INSTRUMENTS_PER_MESSAGE = 100
MAX_INSTRUMENTS_PER_CONNECTION = 5000

HEADER = struct.Struct("<BhBi")
_TICKER = struct.Struct("<fi")
_QUOTE = struct.Struct("<fhifiiiffff")
_OI = struct.Struct("<i")
_PREV_CLOSE = struct.Struct("<fi")
_DEPTH_LEVEL = struct.Struct("<iihhff")
_FULL = struct.Struct("<fhifiiiiiiffff")
_DISCONNECT = struct.Struct("<h")
DEPTH_LEVELS = 5


@dataclass(frozen=True, slots=True)
class Header:
    code: int
    length: int
    segment: int
    security_id: int


@dataclass(frozen=True, slots=True)
class Ticker:
    segment: int
    security_id: int
    ltp: Decimal
    ltt: int  # epoch seconds


@dataclass(frozen=True, slots=True)
class Quote:
    segment: int
    security_id: int
    ltp: Decimal
    ltq: int
    ltt: int
    atp: Decimal
    volume: int
    total_sell_qty: int
    total_buy_qty: int
    open: Decimal
    close: Decimal
    high: Decimal
    low: Decimal


@dataclass(frozen=True, slots=True)
class OpenInterest:
    segment: int
    security_id: int
    oi: int


@dataclass(frozen=True, slots=True)
class PrevClose:
    segment: int
    security_id: int
    prev_close: Decimal
    prev_oi: int


@dataclass(frozen=True, slots=True)
class MarketStatus:
    segment: int
    security_id: int


@dataclass(frozen=True, slots=True)
class DepthLevel:
    bid_qty: int
    ask_qty: int
    bid_orders: int
    ask_orders: int
    bid: Decimal
    ask: Decimal


@dataclass(frozen=True, slots=True)
class Full:
    segment: int
    security_id: int
    ltp: Decimal
    ltq: int
    ltt: int
    atp: Decimal
    volume: int
    total_sell_qty: int
    total_buy_qty: int
    oi: int
    oi_high: int
    oi_low: int
    open: Decimal
    close: Decimal
    high: Decimal
    low: Decimal
    depth: tuple[DepthLevel, ...]


@dataclass(frozen=True, slots=True)
class Disconnect:
    segment: int
    security_id: int
    reason: int  # 805 too many connections, 806 data not subscribed, 807 token expired, ...


Packet = Ticker | Quote | OpenInterest | PrevClose | MarketStatus | Full | Disconnect

_BODY: dict[int, int] = {
    ResponseCode.INDEX: _TICKER.size,
    ResponseCode.TICKER: _TICKER.size,
    ResponseCode.QUOTE: _QUOTE.size,
    ResponseCode.OI: _OI.size,
    ResponseCode.PREV_CLOSE: _PREV_CLOSE.size,
    ResponseCode.MARKET_STATUS: 0,
    ResponseCode.FULL: _FULL.size + DEPTH_LEVELS * _DEPTH_LEVEL.size,
    ResponseCode.DISCONNECT: _DISCONNECT.size,
}
PACKET_SIZES: dict[int, int] = {code: HEADER.size + body for code, body in _BODY.items()}


def _f32(value: Decimal | float) -> float:
    return float(value)


def _price(raw: float) -> Decimal:
    # float32 on the wire; Dhan's prices have at most two decimals.
    if not math.isfinite(raw):
        raise FeedPacketError(f"feed packet: a price is not a finite number ({raw})")
    return Decimal(repr(round(raw, 2))).quantize(Decimal("0.01"))


def _header(code: ResponseCode, segment: int, security_id: int) -> bytes:
    return HEADER.pack(code, PACKET_SIZES[code], segment, security_id)


def _pack(code: ResponseCode, segment: int, security_id: int, body: bytes) -> bytes:
    return _header(code, segment, security_id) + body


def encode_ticker(p: Ticker) -> bytes:
    return _pack(ResponseCode.TICKER, p.segment, p.security_id, _TICKER.pack(_f32(p.ltp), p.ltt))


def encode_quote(p: Quote) -> bytes:
    body = _QUOTE.pack(
        _f32(p.ltp),
        p.ltq,
        p.ltt,
        _f32(p.atp),
        p.volume,
        p.total_sell_qty,
        p.total_buy_qty,
        _f32(p.open),
        _f32(p.close),
        _f32(p.high),
        _f32(p.low),
    )
    return _pack(ResponseCode.QUOTE, p.segment, p.security_id, body)


def encode_oi(p: OpenInterest) -> bytes:
    return _pack(ResponseCode.OI, p.segment, p.security_id, _OI.pack(p.oi))


def encode_prev_close(p: PrevClose) -> bytes:
    body = _PREV_CLOSE.pack(_f32(p.prev_close), p.prev_oi)
    return _pack(ResponseCode.PREV_CLOSE, p.segment, p.security_id, body)


def encode_market_status(p: MarketStatus) -> bytes:
    return _pack(ResponseCode.MARKET_STATUS, p.segment, p.security_id, b"")


def encode_full(p: Full) -> bytes:
    if len(p.depth) != DEPTH_LEVELS:
        raise FeedPacketError(f"a full packet has {DEPTH_LEVELS} depth levels, got {len(p.depth)}")
    body = _FULL.pack(
        _f32(p.ltp),
        p.ltq,
        p.ltt,
        _f32(p.atp),
        p.volume,
        p.total_sell_qty,
        p.total_buy_qty,
        p.oi,
        p.oi_high,
        p.oi_low,
        _f32(p.open),
        _f32(p.close),
        _f32(p.high),
        _f32(p.low),
    )
    depth = b"".join(
        _DEPTH_LEVEL.pack(d.bid_qty, d.ask_qty, d.bid_orders, d.ask_orders, _f32(d.bid), _f32(d.ask))
        for d in p.depth
    )
    return _pack(ResponseCode.FULL, p.segment, p.security_id, body + depth)


def encode_disconnect(p: Disconnect) -> bytes:
    return _pack(ResponseCode.DISCONNECT, p.segment, p.security_id, _DISCONNECT.pack(p.reason))


def encode_packet(p: Packet) -> bytes:
    match p:
        case Ticker():
            return encode_ticker(p)
        case Quote():
            return encode_quote(p)
        case OpenInterest():
            return encode_oi(p)
        case PrevClose():
            return encode_prev_close(p)
        case MarketStatus():
            return encode_market_status(p)
        case Full():
            return encode_full(p)
        case Disconnect():
            return encode_disconnect(p)


def read_header(data: bytes, offset: int = 0) -> Header:
    if len(data) - offset < HEADER.size:
        raise FeedPacketError(
            f"feed packet at byte {offset}: {len(data) - offset} bytes, shorter than the "
            f"{HEADER.size}-byte header"
        )
    code, length, segment, security_id = HEADER.unpack_from(data, offset)
    if code not in PACKET_SIZES:
        raise FeedPacketError(f"feed packet at byte {offset}: unknown response code {code}")
    return Header(code, length, segment, security_id)


def decode_packet(data: bytes) -> Packet:
    """One packet; extra bytes after it are an error (use `decode_packets` for several)."""
    packet, end = _decode_at(bytes(data), 0)
    if end != len(data):
        raise FeedPacketError(f"feed packet: {len(data) - end} bytes left after one packet")
    return packet


def decode_packets(data: bytes) -> list[Packet]:
    """Every packet of a message, in order."""
    raw, out, offset = bytes(data), [], 0
    if not raw:
        raise FeedPacketError("feed message is empty")
    while offset < len(raw):
        packet, offset = _decode_at(raw, offset)
        out.append(packet)
    return out


def _decode_at(data: bytes, offset: int) -> tuple[Packet, int]:
    h = read_header(data, offset)
    size = PACKET_SIZES[h.code]
    name = ResponseCode(h.code).name.lower()
    if h.length != size:
        raise FeedPacketError(
            f"{name} packet at byte {offset}: header says {h.length} bytes, the layout has {size}"
        )
    if len(data) - offset < size:
        raise FeedPacketError(
            f"{name} packet at byte {offset}: truncated, {len(data) - offset} of {size} bytes"
        )
    at = offset + HEADER.size
    return _body(h, data, at), offset + size


def _body(h: Header, data: bytes, at: int) -> Packet:
    seg, sid = h.segment, h.security_id
    match h.code:
        case ResponseCode.INDEX | ResponseCode.TICKER:
            ltp, ltt = _TICKER.unpack_from(data, at)
            return Ticker(seg, sid, _price(ltp), ltt)
        case ResponseCode.QUOTE:
            v = _QUOTE.unpack_from(data, at)
            return Quote(
                seg, sid, _price(v[0]), v[1], v[2], _price(v[3]), v[4], v[5], v[6],
                _price(v[7]), _price(v[8]), _price(v[9]), _price(v[10]),
            )  # fmt: skip
        case ResponseCode.OI:
            return OpenInterest(seg, sid, _OI.unpack_from(data, at)[0])
        case ResponseCode.PREV_CLOSE:
            close, oi = _PREV_CLOSE.unpack_from(data, at)
            return PrevClose(seg, sid, _price(close), oi)
        case ResponseCode.MARKET_STATUS:
            return MarketStatus(seg, sid)
        case ResponseCode.FULL:
            v = _FULL.unpack_from(data, at)
            depth_at = at + _FULL.size
            depth = tuple(
                _level(*_DEPTH_LEVEL.unpack_from(data, depth_at + i * _DEPTH_LEVEL.size))
                for i in range(DEPTH_LEVELS)
            )
            return Full(
                seg, sid, _price(v[0]), v[1], v[2], _price(v[3]), v[4], v[5], v[6], v[7], v[8], v[9],
                _price(v[10]), _price(v[11]), _price(v[12]), _price(v[13]), depth,
            )  # fmt: skip
        case _:
            return Disconnect(seg, sid, _DISCONNECT.unpack_from(data, at)[0])


def _level(
    bid_qty: int, ask_qty: int, bid_orders: int, ask_orders: int, bid: float, ask: float
) -> DepthLevel:
    return DepthLevel(bid_qty, ask_qty, bid_orders, ask_orders, _price(bid), _price(ask))
