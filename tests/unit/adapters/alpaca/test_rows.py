"""Bars, news and contract records: what cannot be read is skipped and counted, the rest kept as sent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from optionpilot.adapters.alpaca.bar_store import MinuteBars, read_bars
from optionpilot.adapters.alpaca.news_rows import read_news, read_open_interest


def _bar(t: str, o: object = 10.0, h: float = 11.0, lo: float = 9.0, c: float = 10.5) -> dict[str, object]:
    return {"t": t, "o": o, "h": h, "l": lo, "c": c, "v": 100, "n": 3, "vw": 10.2}


def test_bar_rows_are_read_or_skipped_with_a_reason() -> None:
    skipped: Counter[str] = Counter()
    raw = {
        "SPY": [
            _bar("2025-03-04T14:30:00Z"),
            _bar("2025-03-04T14:31:00Z", o="x"),
            _bar("2025-03-04T14:32:00Z", h=9.5),  # the close above the high
            _bar("not a time"),
            _bar("2025-03-04T14:33:00-05:00"),
        ],
        "QQQ": "oops",
    }
    rows = list(read_bars(raw, skipped))
    assert [(s, t) for s, t, _ in rows] == [
        ("SPY", int(datetime(2025, 3, 4, 14, 30, tzinfo=UTC).timestamp())),
        ("SPY", int(datetime(2025, 3, 4, 19, 33, tzinfo=UTC).timestamp())),
    ]
    assert skipped.total() == 4 and skipped["bars of a symbol not a list"] == 1


def test_minute_bars_serve_only_complete_bars_in_order() -> None:
    bars = MinuteBars(["SPY", "QQQ"])
    t0 = int(datetime(2025, 3, 4, 14, 30, tzinfo=UTC).timestamp())
    for k in range(3):
        bars.add("QQQ", t0 + 60 * k, (1.0, 2.0, 0.5, 1.5, 10.0))
        bars.add("SPY", t0 + 60 * k, (5.0, 6.0, 4.0, 5.5, 10.0))
    got = bars.between(t0, t0 + 150)  # the third minute ends at t0 + 180: not complete
    assert [(b.symbol, int(b.start.timestamp()) - t0) for b in got] == [
        ("SPY", 0), ("QQQ", 0), ("SPY", 60), ("QQQ", 60),
    ]  # fmt: skip
    assert bars.last_close("SPY", t0 + 179) == 5.5 and bars.last_close("SPY", t0 + 59) is None
    series = bars.last("QQQ", t0 + 180, 2)
    assert series.start_s.tolist() == [t0 + 60, t0 + 120] and series.close.tolist() == [1.5, 1.5]


def test_news_and_contract_records() -> None:
    skipped: Counter[str] = Counter()
    raw = {
        "news": [
            {"id": 7, "headline": " Big  news ", "created_at": "2025-03-04T14:30:00Z", "symbols": ["spy"],
             "source": "benzinga", "summary": "s"},
            {"id": 8, "headline": "", "created_at": "2025-03-04T14:30:00Z", "symbols": []},
            {"id": 9, "headline": "x", "created_at": "soon", "symbols": []},
            {"headline": "no id"},
        ]
    }  # fmt: skip
    items = list(read_news(raw, skipped))
    assert [(n.id, n.headline, n.tickers, n.source) for n in items] == [
        ("alpaca:7", "Big news", ("SPY",), "alpaca:benzinga")
    ]
    assert skipped.total() == 3
    oi, token = read_open_interest(
        {"option_contracts": [{"symbol": "A", "open_interest": "12"}, {"symbol": "B", "open_interest": None},
                              {"symbol": "C", "open_interest": "n/a"}, {}], "next_page_token": "2"},
        skipped,
    )  # fmt: skip
    assert oi == {"A": 12, "B": 0, "C": 0} and token == "2"
    assert skipped["contract record with unreadable open interest"] == 1
