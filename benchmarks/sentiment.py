"""Sentiment scoring speed and accuracy: the shipped classifier against the lexicon model.

Run: .venv/bin/python benchmarks/sentiment.py [DATA_DIR]
(default DATA_DIR: ../shared/data/sentiment/twitter_financial_news)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from optionpilot.signals.classifier import SHIPPED_MODEL, TrainedSentimentModel
from optionpilot.signals.classifier_data import LABELS, read_labelled_csv
from optionpilot.signals.sentiment import LexiconSentimentModel, Sentiment


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(directory: Path) -> None:
    valid = read_labelled_csv(directory / "sent_valid.csv")
    texts = valid.texts
    t0 = time.perf_counter()
    trained = TrainedSentimentModel.load(SHIPPED_MODEL)
    size = SHIPPED_MODEL.stat().st_size / 1e6
    print(f"load {SHIPPED_MODEL.name} ({size:.2f} MB): {time.perf_counter() - t0:.3f} s")
    t0 = time.perf_counter()
    trained.score(texts)  # the first pass fills the word -> n-gram cache
    cold = len(texts) / (time.perf_counter() - t0)
    print(f"{trained.name:18s} first pass, cold cache: {cold:9,.0f} headlines/s")
    lexicon = LexiconSentimentModel()
    models: list[tuple[str, Callable[[Sequence[str]], list[Sentiment]]]] = [
        (trained.name, trained.score),
        (lexicon.name, lexicon.score),
    ]
    for name, score in models:
        predicted = [s.label for s in score(texts)]
        acc = float(np.mean([p == LABELS[y] for p, y in zip(predicted, valid.labels, strict=True)]))
        t = best(lambda score=score: score(texts))
        one = best(lambda score=score: score(texts[:1]), repeat=200)
        print(
            f"{name:18s} accuracy {acc:.4f}   batch of {len(texts)}: {len(texts) / t:9,.0f} headlines/s"
            f"   one at a time: {1 / one:8,.0f} headlines/s"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/sentiment/twitter_financial_news"))
