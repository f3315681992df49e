"""The full SIGKILL matrix and the concurrency figures for issue 12 (storage under crashes).

    .venv/bin/python benchmarks/crash_matrix.py [--random N] [--seed S] [--no-postgres]

Kills the crash driver (`optionpilot.testing.crash_driver`) on fresh SQLite files and fresh PostgreSQL
databases: at every chosen point of the first migration and of a running backtest, and at N random
moments per database and mode; then opens each database as the next command would and counts bricked
databases, runs left `running`, half ticks and unbalanced ledgers. Then starts 4 first runs together on
a fresh database of each kind. Prints the figures; exits 1 if any kill broke a promise.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from optionpilot.testing.crash_matrix import (
    MIGRATION_POINTS,
    RUN_POINTS,
    Case,
    fresh_database,
    inspect,
    kill_case,
    spawn,
)


def _matrix(backends: list[str], randoms: int, rng: random.Random, folder: Path) -> list[Case]:
    cases: list[Case] = []
    for backend in backends:
        for point in MIGRATION_POINTS + RUN_POINTS:
            cases.append(kill_case(backend, point, folder, rng))
            _show(cases[-1])
        for mode in ("migrate", "backtest"):
            for _ in range(randoms):
                cases.append(kill_case(backend, None, folder, rng, mode=mode))
                _show(cases[-1])
    return cases


def _show(c: Case) -> None:
    v = c.verdict
    state = "ok" if v.ok else f"BROKEN {v.error or v.problems[:2] or v.statuses}"
    print(
        f"  {c.backend:10} {c.mode:8} {c.point:26} killed={c.killed!s:5} runs={v.statuses} {state}",
        flush=True,
    )


def _concurrent(backend: str, mode: str, folder: Path) -> str:
    with fresh_database(backend, folder) as url:
        procs = [spawn(url, mode) for _ in range(4)]
        outs = [p.communicate(timeout=600) for p in procs]
        ok = sum(p.returncode == 0 for p in procs)
        ids = [ln.split()[1] for out, _ in outs for ln in out.splitlines() if ln.startswith("run ")]
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        verdict = inspect(url)
        errors = [
            err.strip().splitlines()[-1] for p, (_, err) in zip(procs, outs, strict=True) if p.returncode
        ]
        return (
            f"{backend:10} {mode:8} 4 started together: {ok}/4 succeeded, {len(set(ids))} distinct run ids "
            f"{sorted(ids)}, alembic_version rows {versions}, statuses {sorted(verdict.statuses.values())}, "
            f"problems {len(verdict.problems)}" + (f", errors {errors}" if errors else "")
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--random", type=int, default=8, help="random kills per database and mode")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgresql"]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("SIGKILL matrix")
        cases = _matrix(backends, args.random, rng, folder)
        print("\nconcurrency")
        for backend in backends:
            for mode in ("claim", "backtest"):
                print("  " + _concurrent(backend, mode, folder), flush=True)
    killed = [c for c in cases if c.killed]
    per = Counter((c.backend, c.mode, "random" if c.point == "random" else "chosen") for c in killed)
    print("\nkills per database, mode and kind of point:")
    for key, n in sorted(per.items()):
        print(f"  {' '.join(key):32} {n}")
    bricked = sum(not c.verdict.opened for c in cases)
    left_running = sum("running" in c.verdict.statuses.values() for c in cases)
    statuses = Counter(s for c in killed for s in c.verdict.statuses.values())
    no_run = sum(not c.verdict.statuses for c in killed)
    half = sum(bool(c.verdict.problems) for c in cases)
    print(
        f"\nkills {len(killed)} (of {len(cases)} attempts; {len(cases) - len(killed)} outran the kill)"
        f"\nbricked databases {bricked}\nruns left running {left_running}"
        f"\nkilled runs by status after the next command: {dict(statuses)}; kills before any run row {no_run}"
        f"\ndatabases with a half tick or an unbalanced ledger {half}"
    )
    # A kill after finish_run committed (while the process exits) rightly leaves the run completed.
    return 1 if bricked or left_running or half else 0


if __name__ == "__main__":
    sys.exit(main())
