"""CBOE's daily VIX history and labelled finance-news headlines (0 bearish, 1 bullish, 2 neutral)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from optionpilot.adapters.files.chain_table import ReadReport, number, parse_day
from optionpilot.adapters.files.csv_rows import RowError, positive, read_csv_table

VIX_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("open", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("close", pa.float64()),
        ("source_line", pa.int64()),
    ]
)
NEWS_SCHEMA = pa.schema(
    [("text", pa.string()), ("label", pa.int64()), ("label_name", pa.string()), ("source_line", pa.int64())]
)
VIX_COLUMNS = ("date", "open", "high", "low", "close")
NEWS_COLUMNS = ("text", "label")
NEWS_LABELS = {0: "bearish", 1: "bullish", 2: "neutral"}


def read_vix(path: Path) -> tuple[pa.Table, ReadReport]:
    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        day = parse_day(rec[ix["date"]])
        return (day, *(positive(number(rec[ix[k]]), k) for k in ("open", "high", "low", "close")))

    return read_csv_table(
        path, layout="CBOE VIX history", required=VIX_COLUMNS, schema=VIX_SCHEMA, parse=parse
    )


def read_labelled_news(path: Path) -> tuple[pa.Table, ReadReport]:
    def parse(rec: list[str], ix: dict[str, int]) -> tuple[object, ...]:
        text = rec[ix["text"]].strip()
        if not text:
            raise RowError("empty text")
        label = int(rec[ix["label"]].strip())
        if label not in NEWS_LABELS:
            raise RowError(f"label {label} is not 0, 1 or 2")
        return (text, label, NEWS_LABELS[label])

    return read_csv_table(
        path, layout="labelled news", required=NEWS_COLUMNS, schema=NEWS_SCHEMA, parse=parse
    )
