"""Importing every real file, idempotent re-import, and bad input: named errors or counted skips."""

from __future__ import annotations

import csv
import gzip
import hashlib
from pathlib import Path

import pyarrow.compute as pc
import pytest

from optionpilot.adapters.files.formats import DataFormat, Kind, detect_data_format
from optionpilot.adapters.files.importer import DUPLICATE, ImportResult, data_files, import_file
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.errors import DataError

MINUTE_HEADER = "datetime,symbol,open,high,low,close,volume"
CHAIN_HEADER = (
    "underlying,underlying_last,optionroot,type,expiration,quotedate,strike,last,bid,ask,volume,openinterest"
)
GOOD_CHAIN = "SPY,368.79,X,put,2021-01-29,2021-01-04,345.0,2.71,2.76,2.78,7424,48199"


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the store with its content hash: the store's whole state."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_real_file_imports(shared_data: Path, full_store: tuple[DataStore, list[ImportResult]]) -> None:
    store, results = full_store
    files = data_files([shared_data])
    assert len(results) == len(files) >= 30
    assert not any(r.already_imported for r in results)
    by_name = {Path(r.source).name: r for r in results}
    goog = by_name["goog_option_minute_quotes_20151223_20151224.csv.gz"]
    assert goog.rows_read == 304_484 and goog.inserted + goog.already_stored == 304_484
    assert by_name["prod_options_1y.csv"].inserted == 5040
    assert by_name["VIX_History_cboe_1990_2026.csv"].fmt == DataFormat.VIX
    assert store.markets()["NIFTY"].value == "IN" and store.markets()["GOOG"].value == "US"
    # A day of one underlying is one file.
    assert store.days(Kind.CHAINS, "GOOG") == ["2015-12-23", "2015-12-24"]
    day = store.read(Kind.CHAINS, "GOOG", "2015-12-24")
    assert day is not None and day.num_rows > 100_000
    # NSE's JSON and CSV hold the same quotes: the second file finds them all stored.
    nse_json = [r for r in results if r.fmt == DataFormat.NSE_JSON]
    assert nse_json and all(r.inserted == 0 and r.already_stored == r.rows_kept for r in nse_json)


def test_timestamps_are_utc_and_bars_keep_extended_hours_apart(
    full_store: tuple[DataStore, list[ImportResult]],
) -> None:
    store, _ = full_store
    bars = store.read(Kind.MINUTE_BARS, "AAPL", "2014-06-05")
    assert bars is not None
    assert str(bars.schema.field("start").type) == "timestamp[us, tz=UTC]"
    first = bars.slice(0, 1).to_pylist()[0]
    assert first["start"].isoformat() == "2014-06-05T08:15:00+00:00"  # 04:15 New York (EDT)
    assert first["session"] == "pre"
    regular = bars.filter(pc.equal(bars["session"], "regular"))
    assert regular.num_rows == 390
    assert regular["start"][0].as_py().isoformat() == "2014-06-05T13:30:00+00:00"


def test_reimport_changes_nothing(shared_data: Path, tmp_path: Path) -> None:
    store = DataStore(tmp_path / "s")
    src = shared_data / "options/eod/spy_2021/prod_options_1y.csv"
    first = import_file(store, src)
    before = snapshot(store.root)
    again = import_file(store, src)
    assert again.already_imported and snapshot(store.root) == before
    forced = import_file(store, src, force=True)  # read and merged again: every key already there
    assert forced.inserted == 0 and forced.already_stored == first.inserted
    after = snapshot(store.root)
    assert {k: v for k, v in after.items() if k != "imports.json"} == {
        k: v for k, v in before.items() if k != "imports.json"
    }


def _rejects(result: ImportResult) -> list[tuple[int, str]]:
    assert result.rejects_file is not None
    with open(result.rejects_file, newline="") as fh:
        return [(int(r["line"]), r["reason"]) for r in csv.DictReader(fh)]


def test_bad_rows_are_counted_with_their_lines_and_written(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "s")
    path = tmp_path / "chain.csv"
    rows = [
        CHAIN_HEADER,
        GOOD_CHAIN,
        GOOD_CHAIN.replace("345.0", "abc"),  # text in a numeric field
        "SPY,368.79,X,put,2021-01-29",  # truncated line
        GOOD_CHAIN + ",extra",  # wrong column count
        GOOD_CHAIN,  # duplicated row
        GOOD_CHAIN.replace("345.0", "350.0"),
    ]
    path.write_text("\n".join(rows) + "\n")
    result = import_file(store, path)
    assert result.inserted == 2 and result.duplicates_in_file == 1
    assert result.skipped == {"bad number": 1, "wrong number of fields": 2}
    assert _rejects(result) == [
        (3, "bad number"),
        (4, "wrong number of fields"),
        (5, "wrong number of fields"),
        (6, DUPLICATE),
    ]


def test_minute_bar_rows_with_bad_values_are_skipped(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "s")
    path = tmp_path / "bars.csv"
    path.write_text(
        "\n".join(
            [
                MINUTE_HEADER,
                "2014-06-05 09:30:00,AAPL,645.0,646.0,644.0,645.5,1000",
                "2014-06-05 09:31:00,AAPL,645.0,644.0,646.0,645.5,1000",  # high below low
                "2014-06-05 09:32:00,AAPL,six,646.0,644.0,645.5,1000",
                "not a time,AAPL,645.0,646.0,644.0,645.5,1000",
            ]
        )
        + "\n"
    )
    result = import_file(store, path)
    assert result.inserted == 1
    assert result.skipped == {"high below or low above the other prices": 1, "bad number or date": 2}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty file"),
        ("unknown.csv", "a,b,c\n1,2,3\n", "cannot tell the format"),
        ("binary.csv.gz", None, "unreadable"),
        ("bad.json", '{"x": 1}', "cannot tell the format"),
    ],
)
def test_files_that_cannot_be_read_name_the_file_and_store_nothing(
    tmp_path: Path, shared_data: Path, name: str, content: str | None, message: str
) -> None:
    store = DataStore(tmp_path / "s")
    import_file(store, shared_data / "vix/VIX_History_cboe_1990_2026.csv")
    before = snapshot(store.root)
    path = tmp_path / name
    if content is None:
        path.write_bytes(b"\x1f\x8b not really gzip")
    else:
        path.write_text(content)
    with pytest.raises(DataError, match=message) as err:
        import_file(store, path)
    assert str(path) in str(err.value)
    assert snapshot(store.root) == before


def test_a_file_in_the_wrong_time_zone_is_refused(shared_data: Path, tmp_path: Path) -> None:
    """The SPY minute bars restamped in UTC (as naive times) fall hours outside New York's trading day."""
    from datetime import datetime, timedelta

    src = (shared_data / "bars/minute/spy_minute_trade_20131004_20131011.csv").read_text().splitlines()
    shifted = [src[0]]
    for line in src[1:]:
        stamp, rest = line.split(",", 1)
        t = datetime.fromisoformat(stamp) + timedelta(hours=4)  # EDT to UTC
        shifted.append(f"{t:%Y-%m-%d %H:%M:%S},{rest}")
    path = tmp_path / "spy_utc.csv"
    path.write_text("\n".join(shifted) + "\n")
    store = DataStore(tmp_path / "s")
    import_file(store, shared_data / "bars/minute/aapl_minute_trade_20140605_20140609.csv")
    before = snapshot(store.root)
    with pytest.raises(DataError, match=r"spy_utc.csv:\d+: .*another time zone"):
        import_file(store, path)
    assert snapshot(store.root) == before


def test_a_second_file_never_changes_stored_rows(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "s")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(f"{CHAIN_HEADER}\n{GOOD_CHAIN}\n")
    changed, other = GOOD_CHAIN.replace("2.76,2.78", "9.00,9.10"), GOOD_CHAIN.replace("345.0", "340.0")
    b.write_text(f"{CHAIN_HEADER}\n{changed}\n{other}\n")
    import_file(store, a)
    result = import_file(store, b)
    assert (result.inserted, result.already_stored) == (1, 1)
    table = store.read(Kind.CHAINS, "SPY", "2021-01-04")
    assert table is not None
    row = table.filter(pc.equal(table["strike"], 345.0)).to_pylist()
    assert [(r["bid"], r["ask"], r["source"]) for r in row] == [(2.76, 2.78, "a.csv")]


def test_detects_every_layout(shared_data: Path) -> None:
    g = "options/intraday/goog_20151223/"
    expect = {
        "bars/daily/daily_aapl.csv": DataFormat.DAILY_BARS,
        "bars/minute/aapl_minute_trade_20140605_20140609.csv": DataFormat.MINUTE_BARS,
        "bars/minute/spy_minute_quote_20131004_20131011.csv": DataFormat.QUOTE_BARS,
        "options/eod/spy_2021/prod_stocks_1y.csv": DataFormat.DAILY_BARS,
        g + "goog_option_daily_quotes_2015.csv": DataFormat.OPTION_DAILY_QUOTES,
        g + "goog_option_minute_trades_20151223_20151224.csv": DataFormat.OPTION_TRADES,
        g + "goog_option_openinterest_20151223_20151224.csv": DataFormat.OPEN_INTEREST,
        "rates/treasury_curves_1990_2017.csv": DataFormat.TREASURY,
        "sentiment/twitter_financial_news/sent_valid.csv": DataFormat.NEWS,
        "vix/VIX_History_cboe_1990_2026.csv": DataFormat.VIX,
    }
    for rel, fmt in expect.items():
        assert detect_data_format(shared_data / rel) is fmt, rel


def test_gzip_is_read_like_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(f"{MINUTE_HEADER}\n2014-06-05 09:30:00,AAPL,645.0,646.0,644.0,645.5,1000\n")
    result = import_file(DataStore(tmp_path / "s"), path)
    assert result.fmt == DataFormat.MINUTE_BARS and result.inserted == 1
