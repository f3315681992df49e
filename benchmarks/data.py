"""Import throughput of the 304k-row GOOG minute option quotes, and point-in-time chain-snapshot latency.

Run: .venv/bin/python benchmarks/data.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from optionpilot.adapters.files.importer import import_file
from optionpilot.adapters.files.replay import StoreMarket
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.clock import SimulatedClock

GOOG = "options/intraday/goog_20151223/goog_option_minute_quotes_20151223_20151224.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = DataStore(Path(tmp))
        t0 = time.perf_counter()
        result = import_file(store, args.data / GOOG)
        elapsed = time.perf_counter() - t0
        print(
            f"import: {result.rows_read} rows in {elapsed:.2f} s = {result.rows_read / elapsed:,.0f} rows/s"
        )
        t1 = time.perf_counter()
        import_file(store, args.data / GOOG)
        print(f"re-import (already imported): {time.perf_counter() - t1:.3f} s")

        open_ = datetime(2015, 12, 24, 14, 30, tzinfo=UTC)
        clock = SimulatedClock(open_)
        market = StoreMarket(store, clock, ["GOOG"])
        clock.advance_to(open_ + timedelta(minutes=1))
        t2 = time.perf_counter()
        market.chain("GOOG", max_dte=400)
        print(f"first snapshot of the day (loads the partition): {1e3 * (time.perf_counter() - t2):.1f} ms")
        times, rows = [], 0
        for m in range(2, 210):  # 12-24 closes early, at 13:00
            clock.advance_to(open_ + timedelta(minutes=m))
            t = time.perf_counter()
            snap = market.chain("GOOG", max_dte=400)
            times.append(time.perf_counter() - t)
            rows = max(rows, len(snap))
        print(
            f"chain snapshot as of a minute: median {1e3 * statistics.median(times):.2f} ms, "
            f"p95 {1e3 * sorted(times)[int(0.95 * len(times))]:.2f} ms (up to {rows} contracts)"
        )


if __name__ == "__main__":
    main()
