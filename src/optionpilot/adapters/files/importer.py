"""Importing files into the store: read, check the time zone, drop in-file duplicates, merge, log.

A file whose content (SHA-256) was imported before is skipped: re-importing changes nothing. A file that
cannot be read raises before anything is written, so the store never holds half a bad file.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.adapters.files.formats import INTRADAY, DataFormat, DataRead, Kind, read_data
from optionpilot.adapters.files.store import BY_DAY, KEYS, DataStore, dedupe
from optionpilot.adapters.files.timestamps import check_zone, local_days
from optionpilot.core.calendars import Market

DUPLICATE = "duplicate of an earlier row (same key)"
_NOT_DATA = ("readme", "license", "licence", ".")


class ImportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_in_hours_share: float = Field(
        0.9, ge=0, le=1, description="least share of intraday rows inside trading hours before a zone error"
    )
    extended_open: time = Field(time(4, 0), description="US pre-market opens (exchange time)")
    extended_close: time = Field(time(20, 0), description="US post-market closes (exchange time)")


@dataclass
class ImportResult:
    source: str
    fmt: str
    kind: str
    sha256: str
    rows_read: int = 0
    rows_kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)  # rows kept but flagged (crossed quotes)
    duplicates_in_file: int = 0
    inserted: int = 0
    already_stored: int = 0
    partitions: int = 0
    already_imported: bool = False
    rejects_file: str | None = None
    chain_days: list[tuple[str, str]] = field(default_factory=list)  # (underlying, day) touched

    def summary(self) -> str:
        if self.already_imported:
            return f"{self.source}: already imported ({self.fmt}), nothing changed"
        skipped = sum(self.skipped.values())
        return (
            f"{self.source}: {self.fmt}, {self.rows_read} rows read, {skipped} rejected, "
            f"{self.duplicates_in_file} duplicates, {self.inserted} new, {self.already_stored} already stored"
        )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_files(paths: Iterable[Path]) -> list[Path]:
    """Files to import: the files given, and every file under a directory except READMEs and licences."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                f for f in sorted(p.rglob("*")) if f.is_file() and not f.name.lower().startswith(_NOT_DATA)
            )
        else:
            out.append(p)
    return out


def _partitions(read: DataRead, table: pa.Table, source: str) -> list[tuple[tuple[str, ...], pa.Table]]:
    if read.kind in BY_DAY:
        sym_col, ts_col = BY_DAY[read.kind]
        ts = np.asarray(table[ts_col].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
        days = local_days(ts, read.market).astype(str)
        syms = np.asarray(table[sym_col].to_numpy(zero_copy_only=False), dtype=object).astype(str)
        groups = np.char.add(np.char.add(syms, "|"), days)
        out: list[tuple[tuple[str, ...], pa.Table]] = []
        for g in np.unique(groups):
            sym, day = str(g).split("|")
            out.append(((sym, day), table.take(pa.array(np.flatnonzero(groups == g)))))
        return out
    if read.kind is Kind.DAILY_BARS:
        syms = np.asarray(table["symbol"].to_numpy(zero_copy_only=False), dtype=object).astype(str)
        return [((str(s),), table.take(pa.array(np.flatnonzero(syms == s)))) for s in np.unique(syms)]
    name = {Kind.VIX: "VIX", Kind.RATES: "us_treasury"}.get(read.kind) or safe_name(Path(source).stem)
    return [((name,), table)]


def safe_name(stem: str) -> str:
    """A file's stem as a store file name: a hostile name (`..`, unicode, separators) cannot steer it."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:80]
    return cleaned or "unnamed"


def _symbol_markets(read: DataRead) -> dict[str, Market]:
    col = {Kind.CHAINS: "underlying", Kind.OPTION_TRADES: "underlying", Kind.OPEN_INTEREST: "underlying"}.get(
        read.kind, "symbol"
    )
    if col not in read.table.column_names:
        return {}
    return {str(s): read.market for s in set(read.table[col].to_pylist())}


def _zone_times(read: DataRead) -> tuple[np.ndarray, np.ndarray]:
    t = read.table
    if read.fmt is DataFormat.MINUTE_QUOTES:
        # Quotes are stamped when known (bar start + 1 minute); the session test wants the start.
        us = t["quote_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False) - 60_000_000
    else:
        us = t["start"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    return np.asarray(us, dtype=np.int64), t["source_line"].to_numpy(zero_copy_only=False)


def import_file(
    store: DataStore,
    path: Path,
    fmt: DataFormat | None = None,
    *,
    config: ImportConfig | None = None,
    force: bool = False,
    on_read: Callable[[int], None] | None = None,
) -> ImportResult:
    cfg = config or ImportConfig()
    sha = sha256_of(path) if path.is_file() else ""
    done = next((e for e in store.imports() if e.get("sha256") == sha), None) if sha else None
    if done is not None and not force:
        return ImportResult(str(path), str(done["fmt"]), str(done["kind"]), sha, already_imported=True)
    read = read_data(path, fmt)
    if on_read is not None:
        on_read(read.report.rows_read)
    if read.fmt in INTRADAY and read.table.num_rows:
        us, lines = _zone_times(read)
        hours = (
            None
            if read.kind in (Kind.CHAINS, Kind.OPTION_TRADES)
            else (cfg.extended_open, cfg.extended_close)
        )
        check_zone(us, lines, read.market, hours=hours, min_share=cfg.min_in_hours_share, source=str(path))
    result = ImportResult(
        str(path),
        read.fmt.value,
        read.kind.value,
        sha,
        rows_read=read.report.rows_read,
        rows_kept=read.report.rows_kept,
        skipped=dict(read.report.skipped),
        flagged=dict(read.report.flagged),
    )
    rejected = list(read.report.rejected)
    table = read.table.append_column("source", pa.array([path.name] * read.table.num_rows, type=pa.string()))
    keys = KEYS[read.kind]
    if read.kind in BY_DAY:
        keys = (BY_DAY[read.kind][0], *keys)
    keep = dedupe(table, keys)
    if keep.size < table.num_rows:
        dropped = np.setdiff1d(np.arange(table.num_rows), keep)
        lines = table["source_line"].take(pa.array(dropped)).to_pylist()
        rejected.extend((int(line), DUPLICATE) for line in lines)
        result.duplicates_in_file = int(dropped.size)
        table = table.take(pa.array(keep))
    store.set_markets(_symbol_markets(read))
    for parts, part in _partitions(read, table, str(path)):
        w = store.merge(read.kind, parts, part, KEYS[read.kind])
        result.inserted += w.inserted
        result.already_stored += w.already_stored
        result.partitions += 1
        if read.kind is Kind.CHAINS:
            result.chain_days.append((parts[0], parts[1]))
    if rejected:
        result.rejects_file = str(_write_rejects(store, path, sha, rejected))
    store.add_import(asdict(result) | {"chain_days": [list(x) for x in result.chain_days]})
    return result


def _write_rejects(store: DataStore, path: Path, sha: str, rows: list[tuple[int, str]]) -> Path:
    out = store.inside(store.root / "rejects" / f"{safe_name(path.name)}.{sha[:8]}.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "line", "reason"])
        for line, reason in sorted(rows):
            w.writerow([str(path), line, reason])
    return out
