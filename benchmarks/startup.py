"""Start-up: wall time of `optionpilot --help` and of small commands, process start to exit (warm cache).

    .venv/bin/python benchmarks/startup.py [--repeat 5]

Also prints the heaviest imports of `optionpilot --help` from `python -X importtime`, the profile that
guided the lazy command table (`optionpilot.cli.lazy_commands`). Before it: --help took 3.3-3.7 s on the
lane's machine, importing numba, scipy, pandas (exchange_calendars) and SQLAlchemy for every command.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "optionpilot"


def wall(args: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([str(BIN), *args], capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def heaviest_imports(n: int = 8) -> list[tuple[int, str]]:
    code = "import sys; sys.argv = ['optionpilot', '--help']\nfrom optionpilot.cli.main import main\nmain()"
    argv = [sys.executable, "-X", "importtime", "-c", code]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        cases = {
            "optionpilot --help": ["--help"],
            "optionpilot runs --help": ["runs", "--help"],
            "optionpilot config show --json": ["config", "show", "--json"],
            "optionpilot runs list (empty db)": ["runs", "list", "--db", db],
            "optionpilot backtest --days 1 --symbols SPY": [
                "backtest", "--days", "1", "--symbols", "SPY", "--db", db, "--out", tmp,
            ],
        }  # fmt: skip
        for name, args in cases.items():
            print(f"{name:<46} {wall(args, repeat):6.2f} s (median of {repeat})")
    print("heaviest imports of --help (cumulative microseconds):")
    for us, name in heaviest_imports():
        print(f"  {us:>9,}  {name.strip()}")


if __name__ == "__main__":
    main()
