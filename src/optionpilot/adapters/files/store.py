"""The local market-data store: Parquet files, one per (table, symbol, exchange day), merged idempotently.

Layout under the root: `<kind>/<SYMBOL>/<YYYY-MM-DD>.parquet` for intraday and chain tables (a day of one
underlying is one read), `<kind>/<name>.parquet` for daily bars, VIX, rates, news and IV history,
`markets.json` (each symbol's market), `imports.json` (what was imported), `rejects/` (rows refused).

A write merges with what is stored: rows already there win and are never changed, new keys are added,
and a partition is rewritten (atomically) only when it gained rows. Re-importing a file changes nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from optionpilot.adapters.files.formats import Kind
from optionpilot.core.calendars import Market
from optionpilot.core.errors import DataError

# A store path part: a symbol, a day, a table or file name. Never a separator, never `.` or `..` alone.
_PART = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9_.&-]{1,80}")
KEYS: dict[Kind, tuple[str, ...]] = {
    Kind.CHAINS: ("quote_ts", "expiry", "strike", "right"),
    Kind.OPTION_TRADES: ("start", "expiry", "strike", "right"),
    Kind.OPEN_INTEREST: ("ts", "expiry", "strike", "right"),
    Kind.MINUTE_BARS: ("start",),
    Kind.QUOTE_BARS: ("start",),
    Kind.DAILY_BARS: ("day",),
    Kind.VIX: ("day",),
    Kind.RATES: ("day", "tenor_years"),
    Kind.NEWS: ("text",),
    Kind.IV_HISTORY: ("day",),
}
# (symbol column, time column) of tables partitioned by symbol and exchange day.
BY_DAY: dict[Kind, tuple[str, str]] = {
    Kind.CHAINS: ("underlying", "quote_ts"),
    Kind.OPTION_TRADES: ("underlying", "start"),
    Kind.OPEN_INTEREST: ("underlying", "ts"),
    Kind.MINUTE_BARS: ("symbol", "start"),
    Kind.QUOTE_BARS: ("symbol", "start"),
}


@dataclass(frozen=True, slots=True)
class WriteResult:
    rows: int  # rows offered
    inserted: int  # new keys written
    already_stored: int  # keys the store had (kept as stored)


def dedupe(table: pa.Table, keys: tuple[str, ...]) -> np.ndarray:
    """Sorted indices of the first row of each key."""
    if table.num_rows == 0:
        return np.zeros(0, dtype=np.int64)
    t = table.select(list(keys)).append_column("__i", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    g = t.group_by(list(keys), use_threads=False).aggregate([("__i", "min")])
    return np.sort(g["__i_min"].to_numpy())


class DataStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- paths ----------------------------------------------------------------------------------------

    def path(self, kind: Kind | str, *parts: str) -> Path:
        """Where a partition lives; a part that could leave the store (`..`, `/`, empty) is refused."""
        for part in (str(kind), *parts):
            if not _PART.fullmatch(part):
                raise DataError(f"refused store path part {part!r} (not a plain name)", source=str(self.root))
        *dirs, name = parts
        return self.inside(self.root.joinpath(str(kind), *dirs, f"{name}.parquet"))

    def inside(self, path: Path) -> Path:
        """`path` if it resolves under the store root (symlinks followed), else a DataError."""
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise DataError(f"refused to write outside the store: {path}", source=str(self.root))
        return path

    def symbols(self, kind: Kind | str) -> list[str]:
        base = self.root / str(kind)
        if not base.is_dir():
            return []
        if Kind(kind) in BY_DAY:
            return sorted(p.name for p in base.iterdir() if p.is_dir())
        return sorted(p.stem for p in base.glob("*.parquet"))

    def days(self, kind: Kind | str, symbol: str) -> list[str]:
        base = self.root / str(kind) / symbol
        return sorted(p.stem for p in base.glob("*.parquet")) if base.is_dir() else []

    # -- reads ----------------------------------------------------------------------------------------

    def read(self, kind: Kind | str, *parts: str) -> pa.Table | None:
        path = self.path(kind, *parts)
        if not path.is_file():
            return None
        try:
            return pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise DataError(f"unreadable store partition: {exc}", source=str(path)) from None

    def read_all(self, kind: Kind | str, symbol: str) -> pa.Table | None:
        """Every day of one symbol of a day-partitioned table, in one table."""
        tables = [t for d in self.days(kind, symbol) if (t := self.read(kind, symbol, d)) is not None]
        return pa.concat_tables(tables) if tables else None

    # -- writes ---------------------------------------------------------------------------------------

    def merge(
        self, kind: Kind | str, parts: tuple[str, ...], table: pa.Table, keys: tuple[str, ...]
    ) -> WriteResult:
        """Adds rows whose key is new; stored rows win. `table` must hold unique keys."""
        path = self.path(kind, *parts)
        old = self.read(kind, *parts)
        if old is None:
            if table.num_rows:
                self._write(path, table.sort_by([(k, "ascending") for k in keys]))
            return WriteResult(table.num_rows, table.num_rows, 0)
        try:
            new = table.select(old.schema.names).cast(old.schema)
        except (KeyError, pa.ArrowException) as exc:
            raise DataError(f"rows do not fit the stored table ({exc})", source=str(path)) from None
        both = pa.concat_tables([old, new])
        keep = dedupe(both, keys)
        inserted = int(keep.size) - old.num_rows
        if inserted:
            merged = both.take(pa.array(keep)).sort_by([(k, "ascending") for k in keys])
            self._write(path, merged)
        return WriteResult(table.num_rows, inserted, table.num_rows - inserted)

    def _write(self, path: Path, table: pa.Table) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)  # atomic: a crash leaves the old partition whole

    # -- markets and the import manifest -----------------------------------------------------------------

    def markets(self) -> dict[str, Market]:
        raw = self._json("markets.json", {})
        return {k: Market(v) for k, v in raw.items()}

    def set_markets(self, symbols: dict[str, Market]) -> None:
        current = self.markets()
        if all(current.get(s) is m for s, m in symbols.items()):
            return
        current.update(symbols)
        self._put_json("markets.json", {k: v.value for k, v in sorted(current.items())})

    def imports(self) -> list[dict[str, Any]]:
        found = self._json("imports.json", [])
        return found if isinstance(found, list) else []

    def add_import(self, entry: dict[str, Any]) -> None:
        self._put_json("imports.json", [*self.imports(), entry])

    def _json(self, name: str, default: Any) -> Any:
        path = self.root / name
        if not path.is_file():
            return default
        try:
            return json.loads(path.read_text())
        except ValueError as exc:
            raise DataError(f"unreadable store index: {exc}", source=str(path)) from None

    def _put_json(self, name: str, value: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(value, indent=1, default=str))
        os.replace(tmp, path)
