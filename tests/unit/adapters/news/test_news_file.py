"""The news file for backtests: CSV or JSON Lines, bad rows reported by line, served point-in-time."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from optionpilot.adapters.news.config import NewsFileConfig
from optionpilot.adapters.news.news_file import NewsFileSource, read_news_file
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ClockError, DataError, LookAheadError
from optionpilot.ports.news import NewsSource

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "news"


def utc(h: int, m: int = 0) -> datetime:
    return datetime(2024, 5, 1, h, m, tzinfo=UTC)


def test_jsonl_rows_are_read_sorted_and_bad_rows_reported_by_line() -> None:
    items, report = read_news_file(FIXTURES / "news_sample.jsonl")
    assert [n.ts for n in items] == sorted(n.ts for n in items)
    assert [n.headline for n in items][:3] == [
        "Nvidia beats estimates",
        "Out of order row: Fed minutes due",
        "$AAPL slips after supplier warning",
    ]
    assert (report.items_read, report.items_kept) == (12, 7)
    assert report.lines("timestamp has no zone") == [4]
    assert report.lines("empty headline") == [5]
    assert report.lines("not JSON") == [6]
    assert report.lines("bad ticker symbol") == [7]
    assert report.lines("unreadable timestamp") == [10]
    assert "lines 4" in report.summary()


def test_jsonl_fields_map_onto_news_items() -> None:
    items, _ = read_news_file(FIXTURES / "news_sample.jsonl")
    by_headline = {n.headline: n for n in items}
    nvda = by_headline["Nvidia beats estimates"]
    assert (nvda.ts, nvda.tickers, nvda.source, nvda.body) == (
        utc(13, 30),
        ("NVDA",),
        "wire",
        "Data-center sales surged.",
    )
    # An offset is converted to UTC, never dropped.
    assert by_headline["$AAPL slips after supplier warning"].ts == utc(14, 5)
    assert by_headline["$AAPL slips after supplier warning"].source == "newsfile"
    cloud = by_headline["Microsoft and Alphabet lead cloud rally"]
    assert (cloud.id, cloud.tickers) == ("own-id-7", ("MSFT", "GOOGL"))
    assert all(n.ts.tzinfo is UTC for n in items)


def test_generated_ids_are_stable_across_reads() -> None:
    a, _ = read_news_file(FIXTURES / "news_sample.jsonl")
    b, _ = read_news_file(FIXTURES / "news_sample.jsonl")
    assert [n.id for n in a] == [n.id for n in b]
    assert len({n.id for n in a}) == len(a)
    assert all(n.id.startswith("file:") for n in a if n.id != "own-id-7")


def test_csv_layout() -> None:
    items, report = read_news_file(FIXTURES / "news_sample.csv", NewsFileConfig(default_source="desk"))
    assert [(n.headline, n.tickers, n.source) for n in items] == [
        ("Nvidia beats estimates", ("NVDA",), "wire"),
        ("Apple, Microsoft trade flat", ("AAPL", "MSFT"), "wire"),
        ("Tesla recalls vehicles", ("TSLA",), "desk"),
    ]
    assert report.lines("timestamp has no zone") == [4]
    assert report.lines("wrong number of fields") == [5]


def test_gzipped_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl.gz"
    path.write_bytes(gzip.compress((FIXTURES / "news_sample.jsonl").read_bytes()))
    items, _ = read_news_file(path)
    assert len(items) == 7


def test_a_file_of_mostly_bad_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "news.jsonl"
    path.write_text(
        '{"ts": "2024-05-01T13:30:00", "headline": "x"}\n'
        "[1]\n"
        '{"ts": "2024-05-01T13:30:00Z", "headline": "ok"}\n'
    )
    with pytest.raises(DataError, match=r"news\.jsonl: 2 of 3 rows are bad"):
        read_news_file(path)
    items, _ = read_news_file(path, NewsFileConfig(max_bad_share=0.9))
    assert [n.headline for n in items] == ["ok"]


def test_wrong_layouts_are_named(tmp_path: Path) -> None:
    csv_path = tmp_path / "news.csv"
    csv_path.write_text("time,title\n2024-05-01T13:30:00Z,x\n")
    with pytest.raises(DataError, match=r"news\.csv:1: not a news file: no column ts, headline"):
        read_news_file(csv_path)
    txt = tmp_path / "news.txt"
    txt.write_text("x")
    with pytest.raises(DataError, match="unknown news file type"):
        read_news_file(txt)
    with pytest.raises(DataError, match="unreadable news file"):
        read_news_file(tmp_path / "missing.csv")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert read_news_file(empty)[0] == []


def test_fetch_is_point_in_time_with_an_exclusive_end() -> None:
    clock = SimulatedClock(utc(14, 5))
    source: NewsSource = NewsFileSource.open(FIXTURES / "news_sample.jsonl", clock)
    got = source.fetch(utc(13, 30), utc(14, 5))
    assert [n.ts for n in got] == [utc(13, 30), utc(14)]
    clock.advance_to(utc(23))
    assert [n.ts for n in source.fetch(utc(14, 5), utc(14, 5) + timedelta(seconds=1))] == [utc(14, 5)]
    assert source.fetch(utc(17), utc(16)) == []


def test_asking_beyond_the_clock_is_look_ahead() -> None:
    source = NewsFileSource.open(FIXTURES / "news_sample.jsonl", SimulatedClock(utc(14)))
    with pytest.raises(LookAheadError, match=r"news_sample\.jsonl.*after the clock"):
        source.fetch(utc(13), utc(14, 1))
    with pytest.raises(ClockError, match="until must be timezone-aware"):
        source.fetch(utc(13), datetime(2024, 5, 1, 14))


def test_without_a_clock_the_window_alone_bounds_what_is_served() -> None:
    source = NewsFileSource.open(FIXTURES / "news_sample.csv")
    assert len(source) == 3
    assert [n.headline for n in source.fetch(utc(0), utc(16))] == [
        "Nvidia beats estimates",
        "Apple, Microsoft trade flat",
    ]
