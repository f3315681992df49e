"""One loop for every CSV layout: header check, field counts, per-row parsing with counted skips."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from optionpilot.adapters.files.chain_table import ReadReport
from optionpilot.adapters.files.minute_quotes import open_text
from optionpilot.core.errors import DataError


class RowError(ValueError):
    """A row that cannot be used; the message is the reason it is counted under."""


Parse = Callable[[list[str], dict[str, int]], Sequence[object]]


def read_csv_table(
    path: Path, *, layout: str, required: Sequence[str], schema: pa.Schema, parse: Parse
) -> tuple[pa.Table, ReadReport]:
    """Rows of `path` through `parse` (values in schema order, without the trailing source_line).

    A ValueError from `parse` skips the row under its message; a RowError's message is the reason as is.
    """
    report = ReadReport(str(path))
    names = schema.names
    cols: list[list[object]] = [[] for _ in names]
    try:
        fh = open_text(path)
        with fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip().lower() for h in next(reader)]
            except StopIteration:
                raise DataError("empty file", source=str(path)) from None
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
                except ValueError:
                    report.skip("bad number or date", line)
                    continue
                for col, v in zip(cols, values, strict=False):
                    col.append(v)
                cols[-1].append(line)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error) as exc:
        raise DataError(f"unreadable: {exc}", source=str(path)) from None
    report.rows_kept = len(cols[-1])
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
