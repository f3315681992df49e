"""Chain readers on the real files in ../shared/data, format detection, rates, and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest

from optionpilot.adapters.files.chain_table import CHAIN_SCHEMA
from optionpilot.adapters.files.detect import ChainFormat, detect_format, read_chain
from optionpilot.adapters.files.treasury_rates import TreasuryCurves
from optionpilot.adapters.files.vendor_eod import read_vendor_eod
from optionpilot.core.errors import DataError

CASES = [
    ("options/eod/spy_2021/prod_options_1y.csv", ChainFormat.VENDOR_EOD, 5040),
    ("options/eod/vxx_2016/vxx_options_2016.csv", ChainFormat.VENDOR_EOD, 27940),
    ("options/eod/cboe_datashop_sample/cboe_datashop_A_20171130_smallset.csv", ChainFormat.CBOE_DATASHOP, 37),
    (
        "options/eod/nse_2025/nse_nifty_banknifty_option_chain_20250716_20250717.csv",
        ChainFormat.NSE_CSV,
        4425,
    ),
    (
        "options/eod/nse_2025/raw_json/nifty_option_chain_commit20250716T2248-0400.json",
        ChainFormat.NSE_JSON,
        None,
    ),
    ("options/intraday/spy_20230803/spy_option_minute_quotes_20230803.csv", ChainFormat.MINUTE_QUOTES, 1620),
]


@pytest.mark.parametrize(("rel", "fmt", "rows"), CASES)
def test_real_files_read_into_the_normalised_schema(
    shared_data: Path, rel: str, fmt: ChainFormat, rows: int | None
) -> None:
    path = shared_data / rel
    assert detect_format(path) is fmt
    table, report = read_chain(path)
    assert table.schema == CHAIN_SCHEMA
    assert report.rows_kept == table.num_rows and report.rows_read == report.rows_kept + sum(
        report.skipped.values()
    )
    if rows is not None:
        assert table.num_rows == rows
    assert set(pc.unique(table["right"]).to_pylist()) <= {"C", "P"}
    assert pc.min(table["strike"]).as_py() > 0
    assert np.all(table["underlying_price"].to_numpy() > 0)
    quote = table["quote_ts"].to_numpy()
    expiry_ts = table["expiry_ts"].to_numpy()
    assert np.all(quote <= expiry_ts)


def test_vendor_row_values_and_times(shared_data: Path) -> None:
    table, _ = read_chain(shared_data / CASES[0][0])
    row = table.slice(0, 1).to_pylist()[0]
    assert row["underlying"] == "SPY" and row["right"] == "P" and row["strike"] == 345.0
    assert (row["bid"], row["ask"], row["underlying_price"]) == (2.76, 2.78, 368.79)
    assert row["quote_ts"] == datetime(2021, 1, 4, 21, 0, tzinfo=UTC)  # 16:00 New York
    assert row["expiry"] == date(2021, 1, 29) and row["source_line"] == 2


def test_minute_quotes_use_the_underlying_bar_that_had_ended(shared_data: Path) -> None:
    table, _ = read_chain(shared_data / CASES[-1][0])
    first = table.slice(0, 1).to_pylist()[0]
    assert first["quote_ts"] == datetime(2023, 8, 3, 13, 31, tzinfo=UTC)  # the 09:30 bar, known at 09:31
    bars = (
        (shared_data / "options/intraday/spy_20230803/spy_minute_trade_20230803.csv").read_text().splitlines()
    )
    close_0930 = next(line for line in bars if line.startswith("2023-08-03 09:30:00")).split(",")[5]
    assert first["underlying_price"] == float(close_0930)


def test_gzip_minute_quotes(shared_data: Path) -> None:
    path = shared_data / "options/intraday/goog_20151223/goog_option_minute_quotes_20151223_20151224.csv.gz"
    assert detect_format(path) is ChainFormat.MINUTE_QUOTES


def test_bad_rows_are_skipped_and_counted_with_lines(tmp_path: Path) -> None:
    header = (
        "underlying,underlying_last,optionroot,type,expiration,quotedate,strike,last,bid,ask,"
        + "volume,openinterest"
    )
    good = "SPY,368.79,X,put,2021-01-29,2021-01-04,345.0,2.71,2.76,2.78,7424,48199"
    path = tmp_path / "chain.csv"
    path.write_text(
        "\n".join([header, good, good.replace("put", "straddle"), good.replace("345.0", "abc"), "SPY,1"])
        + "\n"
    )
    table, report = read_vendor_eod(path)
    assert table.num_rows == 1
    assert report.skipped_lines == {"bad option type": [3], "bad number": [4], "wrong number of fields": [5]}


def test_detect_format_says_when_it_cannot_tell(tmp_path: Path, shared_data: Path) -> None:
    with pytest.raises(DataError, match="cannot tell the format"):
        detect_format(shared_data / "options/eod/spy_2021/prod_stocks_1y.csv")
    j = tmp_path / "x.json"
    j.write_text('{"a": 1}')
    with pytest.raises(DataError, match="cannot tell the format"):
        detect_format(j)
    with pytest.raises(DataError, match="no such file"):
        detect_format(tmp_path / "missing.csv")


def test_treasury_rates_interpolate_and_refuse_dates_outside(shared_data: Path) -> None:
    curves = TreasuryCurves.read(shared_data / "rates/treasury_curves_1990_2017.csv")
    # 2017-03-29: 1 month 0.76%, 3 months 0.78%
    assert curves.rate(date(2017, 3, 29), 1 / 12) == pytest.approx(np.log1p(0.0076))
    assert curves.rate(date(2017, 3, 29), (1 / 12 + 0.25) / 2) == pytest.approx(np.log1p(0.0077))
    assert curves.rate(date(2017, 4, 1), 0.25) == pytest.approx(np.log1p(0.0078))  # a weekend: Friday's curve
    with pytest.raises(DataError, match="no curve"):
        curves.rate(date(2021, 1, 4), 0.25)
