"""One loop for every CSV layout: header check, field counts, per-row parsing with counted skips."""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
import pyarrow as pa

from optionpilot.adapters.files.chain_table import ReadReport
from optionpilot.core.errors import DataError


class RowError(ValueError):
    """A row that cannot be used; the message is the reason it is counted under."""


Parse = Callable[[list[str], dict[str, int]], Sequence[object]]


def open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline="")
    return path.open(newline="")


def read_csv_table(
    path: Path,
    *,
    layout: str,
    required: Sequence[str],
    schema: pa.Schema,
    parse: Parse,
    empty_lacks_columns: bool = False,
) -> tuple[pa.Table, ReadReport]:
    """Rows of `path` through `parse` (values in schema order, without the trailing source_line).

    A ValueError from `parse` skips the row under its message; a RowError's message is the reason as is.
    With `empty_lacks_columns` a file without a header line is refused as lacking every required column
    rather than as empty (the message the minute-quote reader has always given).
    """
    report = ReadReport(str(path))
    rows: list[Sequence[object]] = []
    lines: list[int] = []
    try:
        fh = open_text(path)
        with fh:
            reader = csv.reader(fh)
            first = next(reader, None)
            if first is None and not empty_lacks_columns:
                raise DataError("empty file", source=str(path))
            header = [h.strip().lower() for h in first or []]
            missing = [c for c in required if c not in header]
            if missing:
                raise DataError(
                    f"not the {layout} layout: no column {', '.join(missing)}", source=str(path), line=1
                )
            ix = {name: header.index(name) for name in header}
            for line, rec in enumerate(reader, start=2):
                if not rec:
                    continue
                report.rows_read += 1
                if len(rec) != len(header):
                    report.skip("wrong number of fields", line)
                    continue
                try:
                    values = parse(rec, ix)
                except RowError as exc:
                    report.skip(str(exc), line)
                    continue
                except (ValueError, ArithmeticError, IndexError):
                    # OverflowError (a date whose time zone shift leaves Python's range) is arithmetic.
                    report.skip("bad number or date", line)
                    continue
                # A plain tuple: the garbage collector stops tracking it, a NamedTuple it scans every pass.
                rows.append(tuple(values))
                lines.append(line)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error, zlib.error) as exc:
        raise DataError(f"unreadable: {exc}", source=str(path)) from None
    report.rows_kept = len(lines)
    # Transposed in one go: appending each value to its column, row by row, costs three times as much.
    cols: list[Sequence[object]] = [*zip(*rows, strict=True), lines] if rows else [[] for _ in schema]
    arrays = []
    for f, values in zip(schema, cols, strict=True):
        if pa.types.is_floating(f.type):
            arrays.append(pa.array(np.asarray(values, dtype=np.float64)))
        elif pa.types.is_timestamp(f.type):
            arrays.append(pa.array(np.asarray(values, dtype=np.int64)).cast(f.type))
        else:
            arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema), report


def positive(value: float, what: str) -> float:
    if not value > 0:
        raise RowError(f"{what} missing or not positive")
    return value
