"""The CSV chain readers on the shared row loop: skip reasons and lines per format, gzip, unreadable files."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime, time
from pathlib import Path

import pyarrow as pa
import pytest

from optionpilot.adapters.files.cboe_datashop import read_cboe_datashop
from optionpilot.adapters.files.chain_table import (
    CHAIN_SCHEMA,
    KOLKATA,
    NEW_YORK,
    close_us,
    close_utc,
    utc_us,
)
from optionpilot.adapters.files.minute_quotes import read_minute_quotes
from optionpilot.adapters.files.nse_csv import read_nse_csv
from optionpilot.adapters.files.vendor_eod import read_vendor_eod
from optionpilot.core.errors import DataError

CBOE_HEADER = (
    "underlying_symbol,quote_date,root,expiration,strike,option_type,open,high,low,close,trade_volume,"
    "bid_size_1545,bid_1545,ask_size_1545,ask_1545,underlying_bid_1545,underlying_ask_1545,open_interest"
)
CBOE_ROW = "A,2017-11-30,A,2017-12-15,50.000,C,0,0,0,0.0000,0,123,18.90,116,19.45,69.14,69.15,7"
NSE_HEADER = (
    "snapshot_timestamp,underlying,underlyingValue,expiryDate,strikePrice,option_type,bidprice,bidQty,"
    "askPrice,askQty,lastPrice,openInterest,totalTradedVolume"
)
NSE_ROW = "2025-07-16 15:30:00,NIFTY,25200.5,2025-07-31,25000,CE,310.5,75,312,150,311.2,1000,20000"
MINUTE_HEADER = "datetime,root,right,strike,expiration,bid_close,bid_size,ask_close,ask_size"
MINUTE_ROW = "2023-08-03 09:30:00,XYZ,C,430.0,2023-09-01,22.12,20,23.18,66"
VENDOR_HEADER = (
    "underlying,underlying_last,optionroot,type,expiration,quotedate,strike,last,bid,ask,volume,openinterest"
)
VENDOR_ROW = "SPY,368.79,X,put,2021-01-29,2021-01-04,345.0,2.71,2.76,2.78,7424,48199"


def same(a: pa.Table, b: pa.Table) -> bool:
    """Equal tables, NaN equal to NaN (Table.equals holds NaN unequal to itself)."""
    return a.schema == b.schema and repr(a.to_pylist()) == repr(b.to_pylist())


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cboe_rows_skipped_by_reason_with_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cboe.csv",
        CBOE_HEADER,
        CBOE_ROW,
        "",  # a blank line is neither read nor skipped
        CBOE_ROW.replace(",C,", ",X,"),
        CBOE_ROW.replace("2017-12-15", "12/45/2017"),
        CBOE_ROW.replace("18.90", "n/a"),
        CBOE_ROW.replace("50.000", "0"),
        "A,2017-11-30",
    )
    table, report = read_cboe_datashop(path)
    assert table.schema == CHAIN_SCHEMA and table.num_rows == 1
    assert (report.rows_read, report.rows_kept) == (6, 1)
    assert report.skipped_lines == {
        "bad date or option type": [4, 5],
        "bad number": [6],
        "strike missing or not positive": [7],
        "wrong number of fields": [8],
    }
    row = table.to_pylist()[0]
    assert row["quote_ts"] == datetime(2017, 11, 30, 15, 45, tzinfo=NEW_YORK)  # the 15:45 snapshot
    assert row["underlying_price"] == pytest.approx(69.145)
    assert row["last"] != row["last"]  # a close of 0 means no trade: NaN, not a price of 0
    assert row["source_line"] == 2


def test_nse_times_are_india_local_and_bad_rows_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nse.csv",
        NSE_HEADER,
        NSE_ROW,
        NSE_ROW.replace("2025-07-16 15:30:00", "yesterday"),
        NSE_ROW.replace("310.5", "abc"),
        NSE_ROW.replace(",25000,", ",-5,"),
    )
    table, report = read_nse_csv(path)
    assert report.skipped_lines == {
        "bad date or option type": [3],
        "bad number": [4],
        "strike missing or not positive": [5],
    }
    row = table.to_pylist()[0]
    assert row["quote_ts"] == datetime(2025, 7, 16, 10, 0, tzinfo=UTC)
    assert row["expiry_ts"] == datetime(2025, 7, 31, 15, 30, tzinfo=KOLKATA)
    assert (row["bid"], row["ask_size"], row["underlying_price"]) == (310.5, 150.0, 25200.5)


def test_minute_quotes_take_the_close_of_the_bar_ended_by_the_quote(tmp_path: Path) -> None:
    quotes = write(
        tmp_path / "q.csv",
        MINUTE_HEADER,
        MINUTE_ROW,
        MINUTE_ROW.replace("09:30:00", "09:31:00.5"),
        MINUTE_ROW.replace("22.12", ""),
    )
    bars = write(
        tmp_path / "xyz_minute_trade_1.csv",
        "datetime,symbol,open,high,low,close,volume",
        "2023-08-03 09:30:00,XYZ,1,1,1,101,1",  # ends 09:31: known by the first quote (09:31)
        "2023-08-03 09:31:00,XYZ,1,1,1,102,1",  # ends 09:32, before the second quote (09:32:00.5)
        "2023-08-03 09:31:00.6,XYZ,1,1,1,103,1",  # ends 09:32:00.6, after it: never used
    )
    table, report = read_minute_quotes(quotes)  # the sibling bar file is found by root
    assert report.rows_kept == 3 and not report.skipped
    assert table["underlying_price"].to_pylist() == [101.0, 102.0, 101.0]
    assert table["quote_ts"].to_pylist()[1] == datetime(2023, 8, 3, 13, 32, 0, 500000, tzinfo=UTC)
    assert table["bid"].to_pylist()[2] != table["bid"].to_pylist()[2]  # empty field: NaN, row kept
    explicit, _ = read_minute_quotes(quotes, bars)
    assert same(explicit, table)


def test_a_gzipped_chain_reads_as_the_plain_file(tmp_path: Path) -> None:
    text = f"{VENDOR_HEADER}\n{VENDOR_ROW}\n{VENDOR_ROW.replace('put', 'call')}\n"
    plain = tmp_path / "chain.csv"
    plain.write_text(text)
    packed = tmp_path / "chain.csv.gz"
    with gzip.open(packed, "wt") as fh:
        fh.write(text)
    a, ra = read_vendor_eod(plain)
    b, rb = read_vendor_eod(packed)
    assert same(a, b) and (ra.rows_read, ra.rows_kept) == (rb.rows_read, rb.rows_kept) == (2, 2)


def test_empty_missing_columns_and_unreadable_files_are_data_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: empty file"):
        read_vendor_eod(empty)
    # The minute-quote reader has always named the columns it lacks, even for an empty file.
    with pytest.raises(
        DataError, match=r"empty\.csv:1: not the minute option quote layout: no column datetime"
    ):
        read_minute_quotes(empty)
    with pytest.raises(
        DataError, match=r"x\.csv:1: not the NSE flat CSV layout: no column snapshot_timestamp"
    ):
        read_nse_csv(write(tmp_path / "x.csv", CBOE_HEADER, CBOE_ROW))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(f"{VENDOR_HEADER}\n{VENDOR_ROW}\n".encode() + b"SPY,\xe9\n")
    with pytest.raises(DataError, match=r"latin\.csv: unreadable"):
        read_vendor_eod(latin)
    with pytest.raises(DataError, match="unreadable"):
        read_cboe_datashop(tmp_path)  # a directory


def test_epoch_microseconds_are_exact_as_pyarrow_stores_them() -> None:
    times = [
        datetime(1969, 12, 31, 23, 59, 59, 500001, tzinfo=UTC),
        datetime(1900, 1, 1, 0, 0, 0, 999999, tzinfo=KOLKATA),
        datetime(2023, 8, 3, 9, 30, 0, 123457, tzinfo=NEW_YORK),
        datetime(9999, 12, 31, 0, 0, 0, 1, tzinfo=UTC),
    ]
    stored = pa.array(times, type=pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
    assert [utc_us(t) for t in times] == stored
    assert close_us(date(2021, 1, 29), time(16, 0), NEW_YORK) == utc_us(
        close_utc(date(2021, 1, 29), time(16, 0), NEW_YORK)
    )
