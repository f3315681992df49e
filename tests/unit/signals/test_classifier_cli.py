"""`optionpilot sentiment train | eval` end to end, and their one-line errors with exit code 2."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from optionpilot.cli.sentiment import app
from optionpilot.signals.classifier import TrainedSentimentModel

SENTIMENT = Path("sentiment") / "twitter_financial_news"


def test_eval_prints_accuracy_macro_f1_and_confusion(shared_data: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(shared_data / SENTIMENT / "sent_valid.csv")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # a long data path may wrap the line
    assert "2388 rows" in text
    accuracy = float(text.split("accuracy ")[1].split(",")[0])
    assert accuracy >= 0.85
    assert "macro-F1" in result.output and "confusion" in result.output
    for label in ("bearish", "bullish", "neutral"):
        assert label in result.output


def test_eval_malformed_file_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text,label\nok,0\nnot ok,bullishish\n")
    result = CliRunner().invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "bad.csv:3: bad label" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"text,label\nna\xefve,2\n")
    result = CliRunner().invoke(app, ["eval", str(latin)])
    assert result.exit_code == 2 and "latin.csv:2: not UTF-8" in result.output
    cols = tmp_path / "cols.csv"
    cols.write_text("headline,sentiment\nx,1\n")
    result = CliRunner().invoke(app, ["eval", str(cols)])
    assert result.exit_code == 2 and "cols.csv:1: missing column(s) text, label" in result.output


def test_eval_missing_file_or_model_exits_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["eval", str(tmp_path / "none.csv")]).exit_code == 2
    good = tmp_path / "good.csv"
    good.write_text("text,label\nshares jump,1\n")
    result = CliRunner().invoke(app, ["eval", str(good), "--model", str(tmp_path / "none.npz")])
    assert result.exit_code == 2 and "none.npz" in result.output


def test_train_writes_a_model_and_reports_validation(shared_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # The files are sorted by label, so a head would miss labels: take every n-th row.
    for name, keep in (("sent_train.csv", 900), ("sent_valid.csv", 300)):
        with (shared_data / SENTIMENT / name).open(encoding="utf-8", newline="") as fin:
            rows = list(csv.reader(fin))
        step = max(1, (len(rows) - 1) // keep)
        with (data / name).open("w", encoding="utf-8", newline="") as fout:
            csv.writer(fout).writerows([rows[0], *rows[1::step]])
    out = tmp_path / "model.npz"
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "macro-F1" in result.output and "precision" in result.output
    model = TrainedSentimentModel.load(out)
    assert model.meta["trained_on"] == "sent_train.csv"
    evaluated = CliRunner().invoke(app, ["eval", str(data / "sent_valid.csv"), "--model", str(out)])
    assert evaluated.exit_code == 0, evaluated.output


def test_train_without_data_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--data", str(tmp_path), "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 2
    assert "sent_train.csv: cannot read" in result.output
    assert not (tmp_path / "m.npz").exists()
