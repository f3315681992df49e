"""Dhan's feed packets, built byte by byte from the documented layouts (not from the module's structs).

Dhan's "Live Market Feed" page: a response header of 8 bytes (byte 0 the response code, bytes 1-2 the
message length as int16, byte 3 the exchange segment, bytes 4-7 the security id as int32), then per
code: ticker (2) LTP float32 + LTT int32; quote (4) LTP, LTQ int16, LTT, ATP, volume, total sell qty,
total buy qty (int32), open, close, high, low (float32); OI (5) int32; prev close (6) float32 + prev
OI int32; full (8) LTP, LTQ, LTT, ATP, volume, sell qty, buy qty, OI, OI high, OI low, open, close,
high, low, then 5 depth levels of bid qty int32, ask qty int32, bid orders int16, ask orders int16,
bid float32, ask float32; disconnect (50) a reason int16. All little-endian.
"""

from __future__ import annotations

import struct
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optionpilot.adapters.dhan import feed_packets as fp


def _header(code: int, length: int, segment: int, sid: int) -> bytes:
    return (
        code.to_bytes(1, "little")
        + length.to_bytes(2, "little", signed=True)
        + segment.to_bytes(1, "little")
        + sid.to_bytes(4, "little", signed=True)
    )


def _f(x: float) -> bytes:
    return struct.pack("<f", x)


def _i(x: int) -> bytes:
    return x.to_bytes(4, "little", signed=True)


def _h(x: int) -> bytes:
    return x.to_bytes(2, "little", signed=True)


def test_ticker_from_the_documented_layout() -> None:
    raw = _header(2, 16, 2, 52175) + _f(123.45) + _i(1_764_900_000)
    assert len(raw) == 16
    p = fp.decode_packet(raw)
    assert p == fp.Ticker(2, 52175, Decimal("123.45"), 1_764_900_000)
    assert fp.encode_ticker(p) == raw


def test_quote_from_the_documented_layout() -> None:
    body = (
        _f(101.05) + _h(75) + _i(1_764_900_060) + _f(100.5) + _i(150_000) + _i(9_000) + _i(8_250)
        + _f(98.0) + _f(97.45) + _f(104.2) + _f(96.1)
    )  # fmt: skip
    raw = _header(4, 50, 2, 40001) + body
    assert len(raw) == 50
    p = fp.decode_packet(raw)
    assert isinstance(p, fp.Quote)
    assert (p.ltp, p.ltq, p.ltt, p.atp) == (Decimal("101.05"), 75, 1_764_900_060, Decimal("100.50"))
    assert (p.volume, p.total_sell_qty, p.total_buy_qty) == (150_000, 9_000, 8_250)
    assert (p.open, p.close, p.high, p.low) == tuple(Decimal(x) for x in ("98", "97.45", "104.2", "96.1"))
    assert fp.encode_quote(p) == raw


def test_oi_prev_close_and_disconnect_from_the_documented_layouts() -> None:
    oi = _header(5, 12, 2, 7) + _i(1_234_500)
    assert fp.decode_packet(oi) == fp.OpenInterest(2, 7, 1_234_500)
    prev = _header(6, 16, 0, 13) + _f(25012.35) + _i(0)
    assert fp.decode_packet(prev) == fp.PrevClose(0, 13, Decimal("25012.35"), 0)
    gone = _header(50, 10, 0, 0) + _h(807)
    assert fp.decode_packet(gone) == fp.Disconnect(0, 0, 807)
    for raw in (oi, prev, gone):
        assert fp.encode_packet(fp.decode_packet(raw)) == raw


def test_full_packet_with_five_depth_levels_from_the_documented_layout() -> None:
    body = (
        _f(210.4) + _h(150) + _i(1_764_900_120) + _f(209.9) + _i(3_000_000) + _i(45_000) + _i(51_000)
        + _i(880_000) + _i(900_000) + _i(850_000) + _f(200.0) + _f(199.5) + _f(215.0) + _f(198.25)
    )  # fmt: skip
    depth = b"".join(
        _i(75 * (k + 1)) + _i(150 * (k + 1)) + _h(k + 1) + _h(k + 2)
        + _f(210.3 - k * 0.05) + _f(210.45 + k * 0.05)
        for k in range(5)
    )  # fmt: skip
    raw = _header(8, 162, 2, 52175) + body + depth
    assert len(raw) == 162
    p = fp.decode_packet(raw)
    assert isinstance(p, fp.Full)
    assert (p.ltp, p.ltq, p.oi, p.oi_high, p.oi_low) == (Decimal("210.40"), 150, 880_000, 900_000, 850_000)
    assert (p.open, p.close, p.high, p.low) == tuple(Decimal(x) for x in ("200", "199.5", "215", "198.25"))
    assert p.depth[0] == fp.DepthLevel(75, 150, 1, 2, Decimal("210.30"), Decimal("210.45"))
    assert p.depth[4] == fp.DepthLevel(375, 750, 5, 6, Decimal("210.10"), Decimal("210.65"))
    assert fp.encode_full(p) == raw


def test_several_packets_in_one_message_decode_in_order() -> None:
    a = _header(2, 16, 2, 1) + _f(10.5) + _i(1)
    b = _header(5, 12, 2, 1) + _i(99)
    assert fp.decode_packets(a + b) == [fp.Ticker(2, 1, Decimal("10.50"), 1), fp.OpenInterest(2, 1, 99)]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "shorter than the 8-byte header"),
        (b"\x02\x10\x00", "shorter than the 8-byte header"),
        (_header(2, 16, 2, 1) + b"\x00\x00", "truncated, 10 of 16 bytes"),
        (_header(99, 16, 2, 1) + b"\x00" * 8, "unknown response code 99"),
        (_header(2, 40, 2, 1) + b"\x00" * 8, "header says 40 bytes, the layout has 16"),
        (_header(2, 16, 2, 1) + _f(float("nan")) + _i(0), "not a finite number"),
        (_header(5, 12, 2, 1) + _i(1) + b"\xff", "1 bytes left after one packet"),
    ],
)
def test_truncated_or_garbage_packets_raise_one_clear_error(raw: bytes, says: str) -> None:
    with pytest.raises(fp.FeedPacketError) as err:
        fp.decode_packet(raw)
    assert says in str(err.value)
    assert "\n" not in str(err.value)


@given(st.binary(max_size=400))
def test_any_bytes_decode_or_raise_the_feed_error(raw: bytes) -> None:
    try:
        packets = fp.decode_packets(raw)
    except fp.FeedPacketError:
        return
    assert packets


_prices = st.decimals(min_value=0, max_value=65_000, places=2).map(lambda d: d.quantize(Decimal("0.01")))
_ints = st.integers(min_value=0, max_value=2**31 - 1)
_shorts = st.integers(min_value=0, max_value=2**15 - 1)
_ids = st.tuples(st.sampled_from(sorted(fp.SEGMENTS)), _ints)
_levels = st.builds(fp.DepthLevel, _ints, _ints, _shorts, _shorts, _prices, _prices)


@given(
    st.one_of(
        _ids.flatmap(lambda k: st.builds(fp.Ticker, st.just(k[0]), st.just(k[1]), _prices, _ints)),
        _ids.flatmap(
            lambda k: st.builds(
                fp.Quote,
                st.just(k[0]),
                st.just(k[1]),
                _prices,
                _shorts,
                _ints,
                _prices,
                _ints,
                _ints,
                _ints,
                _prices,
                _prices,
                _prices,
                _prices,
            )
        ),
        _ids.flatmap(lambda k: st.builds(fp.OpenInterest, st.just(k[0]), st.just(k[1]), _ints)),
        _ids.flatmap(lambda k: st.builds(fp.PrevClose, st.just(k[0]), st.just(k[1]), _prices, _ints)),
        _ids.flatmap(lambda k: st.builds(fp.Disconnect, st.just(k[0]), st.just(k[1]), _shorts)),
        _ids.flatmap(
            lambda k: st.builds(
                fp.Full,
                st.just(k[0]),
                st.just(k[1]),
                _prices,
                _shorts,
                _ints,
                _prices,
                _ints,
                _ints,
                _ints,
                _ints,
                _ints,
                _ints,
                _prices,
                _prices,
                _prices,
                _prices,
                st.tuples(_levels, _levels, _levels, _levels, _levels),
            )
        ),
    )
)
def test_every_packet_round_trips(packet: fp.Packet) -> None:
    raw = fp.encode_packet(packet)
    assert len(raw) == fp.PACKET_SIZES[raw[0]]
    assert fp.decode_packet(raw) == packet
