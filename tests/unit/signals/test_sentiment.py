from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from optionpilot.core.errors import LookAheadError
from optionpilot.signals.sentiment import (
    LexiconSentimentModel,
    Sentiment,
    SentimentBook,
    SentimentConfig,
)

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def test_lexicon_labels_and_negation() -> None:
    m = LexiconSentimentModel()
    up, down, flat, negated = m.score(
        [
            "AAPL upgraded to outperform, shares jump",
            "XYZ misses estimates and cuts outlook",
            "Company to hold annual meeting",
            "Shares not higher after the report",
        ]
    )
    assert (up.label, down.label, flat.label) == ("bullish", "bearish", "neutral")
    assert up.score == 1.0 and down.score == -1.0 and flat.score == 0.0
    assert negated.label == "bearish"
    assert m.name == "lexicon-v1"


def test_lexicon_beats_the_majority_class_on_real_headlines(shared_data: Path) -> None:
    path = shared_data / "sentiment" / "twitter_financial_news" / "sent_valid.csv"
    labels = {"0": "bearish", "1": "bullish", "2": "neutral"}
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    truth = [labels[r["label"]] for r in rows]
    pred = [s.label for s in LexiconSentimentModel().score([r["text"] for r in rows])]
    accuracy = sum(p == t for p, t in zip(pred, truth, strict=True)) / len(rows)
    majority = max(truth.count(c) for c in labels.values()) / len(rows)
    assert accuracy > majority + 0.05  # measured 0.742 against 0.656


def s(score: float, conf: float = 1.0) -> Sentiment:
    return Sentiment("bullish" if score > 0 else "bearish", score, conf, "test")


def test_book_decays_by_half_life() -> None:
    book = SentimentBook(SentimentConfig(half_life_minutes=60, min_weight=0))
    book.add(T0, ["AAPL"], s(1.0))
    book.add(T0 + timedelta(minutes=60), ["AAPL"], s(-1.0))
    now = T0 + timedelta(minutes=60)
    got = book.get("AAPL", now)
    # Weights 0.5 and 1: (0.5 - 1) / 1.5
    assert got.score == pytest.approx(-1 / 3)
    assert got.weight == pytest.approx(1.5)
    assert got.items == 2
    later = book.get("AAPL", now + timedelta(minutes=60))
    assert later.score == pytest.approx(-1 / 3) and later.weight == pytest.approx(0.75)


def test_late_item_is_aged_and_unknown_ticker_is_neutral() -> None:
    book = SentimentBook(SentimentConfig(half_life_minutes=60, min_weight=0))
    book.add(T0 + timedelta(minutes=60), ["MSFT", "AAPL"], s(1.0))
    book.add(T0, ["MSFT"], s(-1.0))
    got = book.get("MSFT", T0 + timedelta(minutes=60))
    assert got.score == pytest.approx(0.5 / 1.5) and got.weight == pytest.approx(1.5)
    assert book.get("IBM", T0).weight == 0.0


def test_thin_news_reads_as_zero_and_future_is_refused() -> None:
    book = SentimentBook(SentimentConfig(half_life_minutes=60, min_weight=0.5))
    book.add(T0, ["AAPL"], s(1.0, conf=0.3))
    assert book.get("AAPL", T0).score == 0.0
    with pytest.raises(LookAheadError, match="AAPL"):
        book.get("AAPL", T0 - timedelta(minutes=1))
    book.add(T0, ["AAPL"], s(float("nan")))
    assert book.skipped == 1
