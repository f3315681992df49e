"""Each check of the import edge on one hand-made row: the reason it is counted under, or kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from optionpilot.adapters.files.formats import read_data

HEADER = (
    "underlying,underlying_last,optionroot,type,expiration,quotedate,"
    "strike,last,bid,ask,volume,openinterest\n"
)
GOOD = ["SPY", "368.79", "SPY210129P00345000", "put", "2021-01-29", "2021-01-04", "345", "2.71", "2.76",
        "2.78", "7424", "48199"]  # fmt: skip
COL = {name: i for i, name in enumerate(HEADER.strip().split(","))}


def _read(tmp_path: Path, **changes: str) -> tuple[int, dict[str, int], dict[str, int]]:
    row = list(GOOD)
    for name, value in changes.items():
        row[COL[name]] = value
    path = tmp_path / "chain.csv"
    path.write_text(HEADER + ",".join(row) + "\n")
    read = read_data(path)
    return read.table.num_rows, dict(read.report.skipped), dict(read.report.flagged)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"strike": "inf"}, "number not finite or absurdly large"),
        ({"bid": "1e308"}, "number not finite or absurdly large"),
        ({"underlying_last": "-inf"}, "number not finite or absurdly large"),
        ({"ask": "-0.01"}, "negative price"),
        ({"volume": "-3"}, "negative size"),
        ({"strike": "0"}, "strike missing or not positive"),
        ({"quotedate": "0001-01-01", "expiration": "0001-01-29"}, "date outside 1900-2100"),
        ({"expiration": "2101-01-01"}, "date outside 1900-2100"),
        ({"expiration": "9999-12-31"}, "date outside 1900-2100"),
        ({"expiration": "2021-01-01"}, "expiry before the quote date"),
        ({"underlying": "../../.."}, "bad symbol"),
        ({"underlying": "spy/x"}, "bad symbol"),
    ],
)
def test_rejected_with_its_reason(tmp_path: Path, changes: dict[str, str], reason: str) -> None:
    kept, skipped, _ = _read(tmp_path, **changes)
    assert (kept, skipped) == (0, {reason: 1})


@pytest.mark.parametrize("symbol", ["SPY", "BRK.B", "M&M", "BAJAJ-AUTO", "BANKNIFTY", "NIFTY"])
def test_real_symbols_pass(tmp_path: Path, symbol: str) -> None:
    assert _read(tmp_path, underlying=symbol)[:2] == (1, {})


def test_crossed_quote_is_kept_and_flagged(tmp_path: Path) -> None:
    kept, skipped, flagged = _read(tmp_path, bid="3.10", ask="2.90")
    assert (kept, skipped) == (1, {})
    assert flagged == {"crossed quote (bid above ask), kept": 1}


def test_expiry_on_the_quote_day_is_kept(tmp_path: Path) -> None:
    assert _read(tmp_path, expiration="2021-01-04")[:2] == (1, {})
