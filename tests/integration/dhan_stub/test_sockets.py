"""The order-update websocket (through the SDK's OrderUpdate) and the binary market feed (a websockets
client decoding with `feed_packets`, and the SDK's own MarketFeed decoding the stub's packets)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dhanhq import DhanContext, MarketFeed
from websockets.sync.client import connect

from optionpilot.adapters.dhan import feed_packets as fp
from optionpilot.adapters.dhan_stub.config import DhanFault
from optionpilot.adapters.dhan_stub.server import RunningDhanStub


def test_order_updates_follow_the_lifecycle(stub: RunningDhanStub, listen: Any, kit: Any) -> None:
    dhan = kit.sdk_for(stub)
    listener = listen(stub)
    opt = kit.near_the_money(dhan)
    order_id = kit.ok(kit.buy(dhan, opt, 150, tag="ws-1"))["orderId"]
    kit.wait_for(lambda: "TRADED" in listener.statuses(order_id), "the TRADED update")
    statuses = listener.statuses(order_id)
    assert statuses[:2] == ["TRANSIT", "PENDING"]
    last = [u["Data"] for u in listener.updates if u["Data"]["OrderNo"] == order_id][-1]
    assert (last["TradedQty"], last["RemainingQuantity"], last["CorrelationId"]) == (150, 0, "ws-1")
    assert last["SecurityId"] == opt.security_id and last["LotSize"] == 75
    assert all(u["Type"] == "order_alert" for u in listener.updates)


def test_duplicate_updates_and_a_dropped_socket(stub: RunningDhanStub, listen: Any, kit: Any) -> None:
    dhan = kit.sdk_for(stub)
    listener = listen(stub)
    opt = kit.near_the_money(dhan, offset=3)
    faults = stub.state.broker.faults
    faults.set_rate(DhanFault.DUPLICATE_UPDATES, 1.0)
    first = kit.ok(kit.buy(dhan, opt, 75, price=0.05))["orderId"]
    kit.wait_for(lambda: listener.statuses(first).count("PENDING") == 2, "the PENDING update twice")
    assert listener.statuses(first).count("TRANSIT") == 2
    faults.set_rate(DhanFault.DUPLICATE_UPDATES, 0.0)
    faults.set_rate(DhanFault.DROP_STREAM, 1.0)
    kit.ok(dhan.cancel_order(first))
    kit.wait_for(lambda: not listener.thread.is_alive(), "the SDK's socket closed")
    assert stub.state.updates.out.dropped == 1
    assert "CANCELLED" not in listener.statuses(first)  # lost, as on a real disconnect
    assert kit.ok(dhan.get_order_by_id(first))["orderStatus"] == "CANCELLED"  # REST has the truth


def test_a_wrong_token_is_not_logged_in(stub: RunningDhanStub, kit: Any) -> None:
    with connect(stub.order_update_url) as ws:
        ws.send(json.dumps({"LoginReq": {"MsgCode": 42, "ClientId": kit.client_id, "Token": "bad"}}))
        with pytest.raises(Exception, match="4001"):
            ws.recv(timeout=30)
    assert stub.state.updates.listeners == 0


def _feed_url(stub: RunningDhanStub, kit: Any, token: str | None = None) -> str:
    token = token or kit.token
    return f"{stub.feed_url}?version=2&token={token}&clientId={kit.client_id}&authType=2"


def _subscribe(code: int, items: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "RequestCode": code,
            "InstrumentCount": len(items),
            "InstrumentList": [{"ExchangeSegment": s, "SecurityId": i} for s, i in items],
        }
    )


def test_the_feed_sends_decodable_packets_for_each_mode(stub: RunningDhanStub, kit: Any) -> None:
    dhan = kit.sdk_for(stub)
    full_opt, quote_opt = kit.options(dhan, [(True, 0), (False, 0)])
    seen: dict[tuple[type, int], Any] = {}
    with connect(_feed_url(stub, kit)) as ws:
        ws.send(_subscribe(15, [("IDX_I", "13")]))
        ws.send(_subscribe(21, [("NSE_FNO", full_opt.security_id)]))
        ws.send(_subscribe(17, [("NSE_FNO", quote_opt.security_id)]))
        wanted = {
            (fp.PrevClose, 13),
            (fp.Ticker, 13),
            (fp.Full, int(full_opt.security_id)),
            (fp.Quote, int(quote_opt.security_id)),
            (fp.OpenInterest, int(quote_opt.security_id)),
        }
        while not wanted <= set(seen):
            raw = ws.recv(timeout=30)
            assert isinstance(raw, bytes)
            packet = fp.decode_packet(raw)
            seen[(type(packet), packet.security_id)] = packet
        ws.send(json.dumps({"RequestCode": 12}))
        with pytest.raises(Exception, match="1000"):
            while True:
                ws.recv(timeout=30)
    index = seen[(fp.Ticker, 13)]
    assert index.segment == 0 and 20_000 < index.ltp < 30_000
    full = seen[(fp.Full, int(full_opt.security_id))]
    assert full.segment == 2 and len(full.depth) == 5
    assert all(a.bid > b.bid and a.ask < b.ask for a, b in zip(full.depth, full.depth[1:], strict=False))
    assert 0 < full.depth[0].bid <= full.ltp <= full.depth[0].ask
    assert full.depth[0].bid_qty % 75 == 0
    assert full.oi > 0 and full.oi % 75 == 0
    assert seen[(fp.OpenInterest, int(quote_opt.security_id))].oi > 0
    quote = seen[(fp.Quote, int(quote_opt.security_id))]
    assert quote.ltq == 75 and quote.low <= quote.ltp <= quote.high


def test_the_feed_refuses_a_bad_token_and_over_a_hundred_instruments(stub: RunningDhanStub, kit: Any) -> None:
    with connect(_feed_url(stub, kit, token="bad")) as ws:
        assert fp.decode_packet(ws.recv(timeout=30)) == fp.Disconnect(0, 0, 809)
    with connect(_feed_url(stub, kit)) as ws:
        ws.send(_subscribe(15, [("NSE_FNO", str(35001 + i)) for i in range(101)]))
        assert fp.decode_packet(ws.recv(timeout=30)) == fp.Disconnect(0, 0, 804)


def test_the_sdks_own_decoder_reads_the_stubs_packets(
    stub: RunningDhanStub, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dhan = kit.sdk_for(stub)
    opt = kit.near_the_money(dhan)
    monkeypatch.setattr(MarketFeed, "market_feed_wss", stub.feed_url)
    feed = MarketFeed(DhanContext(kit.client_id, kit.token), [(2, opt.security_id, 21)], version="v2")
    try:
        feed.run_forever()
        data: dict[str, Any] = {}
        while data.get("type") != "Full Data":
            data = feed.get_data()
        assert data["security_id"] == int(opt.security_id)
        assert len(data["depth"]) == 5
        assert (
            float(data["depth"][0]["bid_price"]) <= float(data["LTP"]) <= float(data["depth"][0]["ask_price"])
        )
    finally:
        feed.close_connection()
