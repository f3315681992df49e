"""Importing files into the market-data store, then the ATM IV history of the chain days they touched."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from optionpilot.adapters.files.formats import DataFormat, Kind
from optionpilot.adapters.files.importer import ImportResult, data_files, import_file
from optionpilot.adapters.files.iv_history import IvDay, compute_iv_history
from optionpilot.adapters.files.replay import ReplayConfig
from optionpilot.adapters.files.store import DataStore
from optionpilot.adapters.files.treasury_rates import curves_from_table
from optionpilot.core.errors import DataError


@dataclass(slots=True)
class ImportRun:
    results: list[ImportResult] = field(default_factory=list)
    iv_points: list[IvDay] = field(default_factory=list)
    iv_skipped: int = 0
    notes: list[str] = field(default_factory=list)


def rate_function(store: DataStore, fallback: float) -> tuple[Callable[[date, float], float], list[str]]:
    """Rate by date and tenor from the stored Treasury curves, else `fallback` (with a note saying so)."""
    table = store.read(Kind.RATES, "us_treasury")
    curves = curves_from_table(table, str(store.root)) if table is not None else None
    notes: list[str] = []

    def rate(day: date, tenor: float) -> float:
        if curves is not None:
            try:
                return curves.rate(day, tenor)
            except DataError:
                pass
        note = f"IV history: rate {fallback} (fallback) where no Treasury curve is stored"
        if note not in notes:
            notes.append(note)
        return fallback

    return rate, notes


def update_iv_history(
    store: DataStore, days: dict[str, set[str]], db: str | None
) -> tuple[list[IvDay], int, list[str]]:
    """ATM IV for the chain days given, into the store and, when `db` is given, the database."""
    rate, notes = rate_function(store, ReplayConfig().fallback_rate)
    points, skipped = compute_iv_history(store, rate, symbols=sorted(days), days=days)
    if db is not None and points:
        from optionpilot.persistence.recorder import SqlRecorder
        from optionpilot.persistence.scan_records import IvPoint

        recorder = SqlRecorder(db)
        recorder.record_iv_history([IvPoint(p.symbol, p.day, p.atm_iv, "store:atm30") for p in points])
    return points, skipped, notes


def import_paths(
    store: DataStore,
    paths: Sequence[Path],
    *,
    fmt: DataFormat | None = None,
    force: bool = False,
    db: str | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> ImportRun:
    files = data_files(paths)
    if not files:
        raise DataError("no files to import", source=", ".join(map(str, paths)))
    run = ImportRun()
    for f in files:
        run.results.append(import_file(store, f, fmt, force=force))
        if on_file is not None:
            on_file(f)
    days: dict[str, set[str]] = {}
    for r in run.results:
        for sym, day in r.chain_days:
            days.setdefault(sym, set()).add(day)
    if days:
        run.iv_points, run.iv_skipped, run.notes = update_iv_history(store, days, db)
    return run
