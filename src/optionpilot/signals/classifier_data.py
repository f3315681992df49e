"""Labelled headline files (`text,label`) for training and evaluating the sentiment classifier."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from optionpilot.core.errors import DataError
from optionpilot.signals.sentiment import BEARISH, BULLISH, NEUTRAL

# Column order of the model's outputs; the twitter-financial-news set labels them 0, 1, 2 in this order.
LABELS: tuple[str, str, str] = (BEARISH, BULLISH, NEUTRAL)
_LABEL_INDEX = {**{str(i): i for i in range(len(LABELS))}, **{name: i for i, name in enumerate(LABELS)}}


@dataclass(frozen=True, slots=True)
class LabelledTexts:
    texts: list[str]
    labels: NDArray[np.int64]  # index into LABELS
    source: str


def read_labelled_csv(path: Path) -> LabelledTexts:
    """Read a CSV with `text` and `label` columns; labels are 0/1/2 or bearish/bullish/neutral.

    Any malformed input is a DataError naming the file and the line.
    """
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", source=source) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"not UTF-8 (byte 0x{raw[exc.start]:02x})", source=source, line=line) from None
    reader = csv.reader(io.StringIO(content, newline=""))
    header = next(reader, None)
    if header is None:
        raise DataError("empty file: expected a header with text,label", source=source, line=1)
    columns = [h.strip().lower() for h in header]
    missing = [c for c in ("text", "label") if c not in columns]
    if missing:
        raise DataError(
            f"missing column(s) {', '.join(missing)}; header is {','.join(header)}", source=source, line=1
        )
    text_col, label_col = columns.index("text"), columns.index("label")
    texts: list[str] = []
    labels: list[int] = []
    try:
        for row in reader:
            if not row:
                continue  # blank line
            if len(row) != len(columns):
                raise DataError(
                    f"{len(row)} fields, expected {len(columns)}", source=source, line=reader.line_num
                )
            label = _LABEL_INDEX.get(row[label_col].strip().lower())
            if label is None:
                raise DataError(
                    f"bad label {row[label_col]!r}: expected 0, 1, 2 or {', '.join(LABELS)}",
                    source=source,
                    line=reader.line_num,
                )
            texts.append(row[text_col])
            labels.append(label)
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", source=source, line=reader.line_num) from None
    if not texts:
        raise DataError("no rows after the header", source=source)
    return LabelledTexts(texts, np.asarray(labels, dtype=np.int64), source)
