"""A sweep of 16 two-session backtests (4x4 exit grid) one by one versus on N local workers.

    .venv/bin/python benchmarks/sweep.py [--workers 2] [--symbols SPY,QQQ] [--days 2]

Both run the `optionpilot sweep` command end to end (process start to exit) into fresh SQLite files, so
the pool's start-up (spawned interpreters importing the engine) counts against it. The goal of issue 16:
with 2 workers at most 0.6x the one-by-one time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "optionpilot"
GRID = """
[grid]
"strategy.exits.profit_target" = ["0.40", "0.50", "0.60", "0.70"]
"strategy.exits.stop_loss" = ["0.20", "0.25", "0.30", "0.35"]
"""


def timed(spec: Path, tmp: Path, name: str, workers: int) -> float:
    args = [str(BIN), "sweep", str(spec), "--workers", str(workers), "--json"]
    args += ["--db", f"sqlite:///{tmp / f'{name}.sqlite'}", "--out", str(tmp / name)]
    t0 = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--symbols", default="")
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        spec = tmp / "spec.toml"
        symbols = f'symbols = "{a.symbols}"\n' if a.symbols else ""
        spec.write_text(f'days = {a.days}\nseed = 11\nobjective = "sharpe"\n{symbols}{GRID}')
        serial = timed(spec, tmp, "serial", 1)
        pooled = timed(spec, tmp, "pooled", a.workers)
    print(f"16 backtests of {a.days} sessions ({a.symbols or 'all symbols'}):")
    print(f"  1 worker   {serial:7.1f} s")
    print(f"  {a.workers} workers  {pooled:7.1f} s  ({pooled / serial:.2f}x the one-by-one time)")


if __name__ == "__main__":
    main()
