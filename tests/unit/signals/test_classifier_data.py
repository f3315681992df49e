"""Labelled CSV files and the metrics: malformed input names the file and line; scores by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optionpilot.core.errors import DataError
from optionpilot.signals.classifier_data import LABELS, read_labelled_csv
from optionpilot.signals.classifier_metrics import evaluate


def _write(tmp_path: Path, content: bytes, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_reads_numbers_names_quotes_and_extra_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        b'id,label,text\n1,0,"Cut, again"\n2,Bullish,"Two\nlines"\n\n3,neutral,plain\n',
    )
    data = read_labelled_csv(path)
    assert data.texts == ["Cut, again", "Two\nlines", "plain"]
    assert data.labels.tolist() == [0, 1, 2] and data.source == str(path)


def test_real_files_read_whole(shared_data: Path) -> None:
    folder = shared_data / "sentiment" / "twitter_financial_news"
    train = read_labelled_csv(folder / "sent_train.csv")
    valid = read_labelled_csv(folder / "sent_valid.csv")
    assert (len(train.texts), len(valid.texts)) == (9543, 2388)
    assert np.bincount(train.labels).tolist() == [1442, 1923, 6178]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"text,score\nhello,1\n", r"h\.csv:1: missing column\(s\) label"),
        (b"headline\nhello\n", r"h\.csv:1: missing column\(s\) text, label"),
        (b"text,label\nfine,0\nbad,7\n", r"h\.csv:3: bad label '7'"),
        (b'text,label\nfine,0\n"two\nlines",1\nbad,\n', r"h\.csv:5: bad label ''"),
        (b"text,label\nfine,0\nok,1\ncaf\xe9,2\n", r"h\.csv:4: not UTF-8 \(byte 0xe9\)"),
        (b"text,label\na,b,c\n", r"h\.csv:2: 3 fields, expected 2"),
        (b"text,label\n", r"h\.csv: no rows after the header"),
        (b"", r"h\.csv:1: empty file"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, content: bytes, expected: str) -> None:
    with pytest.raises(DataError, match=expected):
        read_labelled_csv(_write(tmp_path, content))


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: cannot read"):
        read_labelled_csv(tmp_path / "nope.csv")


def test_metrics_by_hand() -> None:
    truth = np.array([0, 0, 1, 1, 2, 2, 2, 2])
    pred = np.array([0, 2, 1, 0, 2, 2, 2, 1])
    r = evaluate(truth, pred, LABELS)
    assert r.accuracy == pytest.approx(5 / 8) and r.n == 8
    assert r.confusion.tolist() == [[1, 0, 1], [1, 1, 0], [0, 1, 3]]
    bear, bull, neutral = r.classes
    assert (bear.precision, bear.recall, bear.f1) == pytest.approx((0.5, 0.5, 0.5))
    assert (bull.precision, bull.recall) == pytest.approx((0.5, 0.5))
    assert (neutral.precision, neutral.recall, neutral.support) == pytest.approx((0.75, 0.75, 4))
    assert r.macro_f1 == pytest.approx((0.5 + 0.5 + 0.75) / 3)


def test_a_class_never_predicted_scores_zero_not_nan() -> None:
    r = evaluate(np.array([0, 1, 2]), np.array([2, 2, 2]), LABELS)
    assert r.classes[0].precision == 0.0 and r.classes[0].f1 == 0.0
    assert np.isfinite(r.macro_f1)


def test_metrics_reject_bad_input() -> None:
    with pytest.raises(DataError, match="no examples"):
        evaluate(np.array([], dtype=np.int64), np.array([], dtype=np.int64), LABELS)
    with pytest.raises(DataError, match="shapes differ"):
        evaluate(np.array([0, 1]), np.array([0]), LABELS)
    with pytest.raises(DataError, match=r"outside 0\.\.2"):
        evaluate(np.array([0, 3]), np.array([0, 1]), LABELS)
