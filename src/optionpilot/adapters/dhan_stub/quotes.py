"""Dhan's market quote REST (`/v2/marketfeed/ltp`, `/ohlc`, `/quote`): the feed's data on request, the
fallback of a client whose feed has dropped. The body maps segments to security ids, e.g.
`{"NSE_FNO": [35031], "IDX_I": [13]}`; the answer maps them back, ids as strings, unknown ids left out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from optionpilot.adapters.dhan import feed_packets as fp
from optionpilot.adapters.dhan_stub.broker import DhanBroker
from optionpilot.adapters.dhan_stub.market_data import option_packets, underlying_packet
from optionpilot.adapters.dhan_stub.wire import IST, bad_input

MAX_INSTRUMENTS = 1000


def _full(broker: DhanBroker, segment: str, sid: int) -> fp.Full | fp.Ticker | None:
    code = fp.SEGMENT_CODES.get(segment)
    if code is None:
        raise bad_input(f"unknown exchange segment {segment!r}")
    if segment == "NSE_FNO":
        listed = broker.instruments.listed(sid)
        packets = (
            [] if listed is None else option_packets(broker.market, listed, fp.RequestCode.SUBSCRIBE_FULL)
        )
        return packets[0] if packets and isinstance(packets[0], fp.Full) else None
    u = broker.instruments.underlying_of(sid, segment)
    return None if u is None else underlying_packet(broker.market, u, code, sid, broker.now())


def _ohlc(p: fp.Full | fp.Ticker) -> dict[str, float]:
    if isinstance(p, fp.Ticker):
        return dict.fromkeys(("open", "close", "high", "low"), float(p.ltp))
    return {"open": float(p.open), "close": float(p.close), "high": float(p.high), "low": float(p.low)}


def _quote(p: fp.Full | fp.Ticker) -> dict[str, Any]:
    doc: dict[str, Any] = {"last_price": float(p.ltp), "ohlc": _ohlc(p), "net_change": 0.0}
    if isinstance(p, fp.Ticker):
        return doc
    levels = p.depth
    return {
        **doc,
        "average_price": float(p.atp),
        "buy_quantity": p.total_buy_qty,
        "sell_quantity": p.total_sell_qty,
        "last_quantity": p.ltq,
        "last_trade_time": datetime.fromtimestamp(p.ltt, UTC).astimezone(IST).strftime("%d/%m/%Y %H:%M:%S"),
        "volume": p.volume,
        "oi": p.oi,
        "oi_day_high": p.oi_high,
        "oi_day_low": p.oi_low,
        "depth": {
            "buy": [{"quantity": d.bid_qty, "orders": d.bid_orders, "price": float(d.bid)} for d in levels],
            "sell": [{"quantity": d.ask_qty, "orders": d.ask_orders, "price": float(d.ask)} for d in levels],
        },
    }


def market_quotes(broker: DhanBroker, body: Any, kind: str) -> dict[str, Any]:
    if not isinstance(body, dict) or not all(isinstance(v, list) for v in body.values()):
        raise bad_input('the body maps exchange segments to lists of security ids, e.g. {"NSE_FNO": [35031]}')
    if sum(len(v) for v in body.values()) > MAX_INSTRUMENTS:
        raise bad_input(f"at most {MAX_INSTRUMENTS} instruments per request")
    broker.now()
    data: dict[str, dict[str, Any]] = {}
    for segment, ids in body.items():
        out = data.setdefault(str(segment), {})
        for raw in ids:
            try:
                sid = int(raw)
            except (TypeError, ValueError):
                raise bad_input(f"security id {raw!r} in {segment} is not a number") from None
            p = _full(broker, str(segment), sid)
            if p is None:
                continue
            if kind == "ltp":
                out[str(sid)] = {"last_price": float(p.ltp)}
            elif kind == "ohlc":
                out[str(sid)] = {"last_price": float(p.ltp), "ohlc": _ohlc(p)}
            else:
                out[str(sid)] = _quote(p)
    return {"data": data, "status": "success"}
