"""10,000 hostile rows through the real import path: no traceback, nothing absurd stored, all counted.

The rows come from a seeded generator: real rows of each format, mutated the ways real files go wrong.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from optionpilot.adapters.files.row_checks import MAX_PRICE, MAX_SIZE, PRICES, SIZES, SYMBOL
from optionpilot.adapters.files.store import DataStore
from optionpilot.app.data_import import import_paths

# (file under ../shared/data, rows taken for the fuzz). The sum is the 10,000 rows of the fuzz.
SOURCES: tuple[tuple[str, int], ...] = (
    ("options/eod/spy_2021/prod_options_1y.csv", 2500),
    ("options/eod/cboe_datashop_sample/cboe_datashop_A_20171130_smallset.csv", 500),
    ("options/eod/nse_2025/nse_nifty_banknifty_option_chain_20250716_20250717.csv", 2000),
    ("bars/daily/daily_spy.csv", 2000),
    ("bars/minute/spy_minute_trade_20131004_20131011.csv", 1500),
    ("vix/VIX_History_cboe_1990_2026.csv", 1500),
)

BAD_NUMBERS = ("inf", "-inf", "nan", "NaN", "1e308", "-1e308", "1e999", "-0.01", "-5", "0", "1e9", "")
BAD_TEXT = ("abc", "N/A", "--", "١٢٣", "𝟏𝟐", "1.2.3", "0x1F", "ＳＰＹ", "é", "  ", "'", "\t")
BAD_DATES = (
    "0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01", "2021-02-30", "01/01/0001",
    "12/31/9999", "1970-01-01", "31-Feb-2025", "2021-13-01", "yesterday", "",
)  # fmt: skip
HOSTILE_SYMBOLS = (
    "../../..", "..", ".", "/etc/passwd", "SPY/../../x", "..\\..\\x", "spy", "", "A" * 50,
    "SP Y", "ＳＰＹ", "$SPY", "SPY;rm", "C:\\x", "~", "%2e%2e", "NIFTY/..", "BRK..B",
)  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{2}/\d{2}/\d{4}$|^\d{2}-[A-Za-z]{3}-\d{4}$")
_SYMBOL_COLUMNS = {"underlying", "symbol", "underlying_symbol", "root"}


@dataclass
class FuzzFile:
    path: Path
    rows: int  # data rows written (blank lines are not rows)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _mutate(rec: list[str], header: list[str], rng: random.Random) -> list[str]:
    rec = list(rec)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(rec))
        name = header[i].strip().lower() if i < len(header) else ""
        kind = rng.random()
        if kind < 0.05:
            rec.pop(rng.randrange(len(rec)))  # a missing column
        elif kind < 0.10:
            rec.insert(rng.randrange(len(rec) + 1), rng.choice(BAD_TEXT))  # an extra one
        elif name in _SYMBOL_COLUMNS:
            rec[i] = rng.choice(HOSTILE_SYMBOLS)
        elif _DATE.match(rec[i].strip()):
            rec[i] = rng.choice(BAD_DATES)
        elif _is_number(rec[i]):
            rec[i] = rng.choice(BAD_NUMBERS + BAD_TEXT) if kind < 0.8 else str(-abs(float(rec[i] or 0) + 1))
        else:
            rec[i] = rng.choice(BAD_TEXT + HOSTILE_SYMBOLS)
    return rec


def write_fuzz_files(shared_data: Path, out: Path, *, seed: int, share: float = 0.5) -> list[FuzzFile]:
    """One mutated copy of each source (about `share` of its rows mutated), with blank lines strewn in."""
    rng = random.Random(seed)
    files: list[FuzzFile] = []
    for rel, n in SOURCES:
        lines = (shared_data / rel).read_text().splitlines()
        header, body = lines[0], lines[1:]
        cols = header.split(",")
        written: list[str] = [header]
        for k in range(n):
            rec = body[k % len(body)].split(",")
            if rng.random() < share:
                rec = _mutate(rec, cols, rng)
            written.append(",".join(rec))
            if rng.random() < 0.01:
                written.append("")
        path = out / f"fuzz_{Path(rel).name}"
        path.write_text("\n".join(written) + "\n", encoding="utf-8")
        files.append(FuzzFile(path, n))
    return files


_US_1900 = int(np.datetime64("1900-01-01", "us").astype(np.int64))
_US_2101 = int(np.datetime64("2101-01-01", "us").astype(np.int64))


def stored_problems(root: Path) -> list[str]:
    """Every stored value that is not believable, as `file column: value`."""
    problems: list[str] = []
    for f in sorted(root.rglob("*.parquet")):
        t = pq.read_table(f)
        for field in t.schema:
            col = t[field.name]
            where = f"{f.relative_to(root)} {field.name}"
            if pa.types.is_floating(field.type):
                v = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
                # NaN marks a missing value (no bid); anything else must be finite and in range.
                present = v[~np.isnan(v)]
                limit = MAX_SIZE if field.name in SIZES else MAX_PRICE
                bad = present[~np.isfinite(present) | (np.abs(present) > limit)]
                if field.name in PRICES | SIZES:
                    bad = np.concatenate([bad, present[present < 0]])
                if field.name == "strike":
                    bad = np.concatenate([bad, v[~(v > 0)]])
                problems += [f"{where}: {x}" for x in bad[:3]]
            elif pa.types.is_date32(field.type) or pa.types.is_timestamp(field.type):
                us = col.cast(pa.timestamp("us")).cast(pa.int64()).to_numpy(zero_copy_only=False)
                bad_us = us[(us < _US_1900) | (us >= _US_2101)]
                problems += [f"{where}: {x}" for x in bad_us[:3]]
            elif field.name in ("underlying", "symbol"):
                problems += [f"{where}: {s!r}" for s in col.to_pylist() if not SYMBOL.fullmatch(s)][:3]
        if "expiry" in t.column_names and "quote_ts" in t.column_names:
            exp = t["expiry"].cast(pa.int32()).to_numpy(zero_copy_only=False)
            day = f.stem  # the store partition is the exchange day of the quotes
            if (exp < np.datetime64(day, "D").astype(np.int64)).any():
                problems.append(f"{f.relative_to(root)}: an expiry before the quote day")
    return problems


@pytest.mark.slow
def test_ten_thousand_fuzzed_rows(shared_data: Path, tmp_path: Path) -> None:
    src, store_dir = tmp_path / "in", tmp_path / "store"
    src.mkdir()
    files = write_fuzz_files(shared_data, src, seed=20261204)
    rows_in = sum(f.rows for f in files)
    assert rows_in == sum(n for _, n in SOURCES) == 10_000

    run = import_paths(DataStore(store_dir), [f.path for f in files])  # any traceback fails the test

    reasons: Counter[str] = Counter()
    for r in run.results:
        assert r.rows_read == r.rows_kept + sum(r.skipped.values()), r.source
        assert r.rows_kept == r.inserted + r.already_stored + r.duplicates_in_file, r.source
        reasons.update(r.skipped)
    assert sum(r.rows_read for r in run.results) == rows_in
    assert sum(reasons.values()) + sum(r.rows_kept for r in run.results) == rows_in
    # Mutations are common enough that every check must have fired; a check that never fires is untested.
    for why in (
        "bad symbol",
        "date outside 1900-2100",
        "negative price",
        "number not finite or absurdly large",
    ):
        assert reasons[why] > 0, (why, reasons)
    assert stored_problems(store_dir) == []
    # Nothing written beside the store, whatever the symbols said.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "store"]
    assert all(p.resolve().is_relative_to(store_dir.resolve()) for p in store_dir.rglob("*"))
    print(
        f"\nfuzz: {rows_in} rows in, kept {sum(r.rows_kept for r in run.results)}, rejected {dict(reasons)}"
    )
    print(f"fuzz: flagged {dict(sum((Counter(r.flagged) for r in run.results), Counter()))}")


NSE_JSON = "options/eod/nse_2025/raw_json/nifty_option_chain_commit20250716T2248-0400.json"
_JSON_VALUES: tuple[object, ...] = (
    "inf", "-1e308", 1e308, -5, 0, "abc", None, [], {}, True, "0001-01-01", "31-Dec-9999", "../../..", "",
)  # fmt: skip


@pytest.mark.slow
def test_fuzzed_nse_json_records(shared_data: Path, tmp_path: Path) -> None:
    import json

    rng = random.Random(4711)
    doc = json.loads((shared_data / NSE_JSON).read_text())
    data = doc["records"]["data"]
    for i, rec in enumerate(data):
        if rng.random() < 0.05:
            data[i] = rng.choice(["junk", 7, None, ["CE"]])
            continue
        for key in ("CE", "PE"):
            side = rec.get(key)
            if isinstance(side, dict) and rng.random() < 0.5:
                if rng.random() < 0.1:
                    rec[key] = rng.choice(["junk", 3, ["x"]])
                    continue
                side[rng.choice(sorted(side))] = rng.choice(_JSON_VALUES)
    path = tmp_path / "in" / "fuzz_nse.json"
    path.parent.mkdir()
    path.write_text(json.dumps(doc))
    store = tmp_path / "store"
    run = import_paths(DataStore(store), [path])
    (r,) = run.results
    assert r.rows_read == r.rows_kept + sum(r.skipped.values()) > 0
    assert r.skipped and r.rows_kept > 0
    assert stored_problems(store) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "store"]
    print(f"\nfuzz nse json: {r.rows_read} rows in, kept {r.rows_kept}, rejected {r.skipped}")
