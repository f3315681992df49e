"""Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix of a classifier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optionpilot.core.errors import DataError


@dataclass(frozen=True, slots=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    accuracy: float
    macro_f1: float
    classes: tuple[ClassScores, ...]
    confusion: NDArray[np.int64]  # rows: true label, columns: predicted label
    n: int


def evaluate(truth: NDArray[np.int64], predicted: NDArray[np.int64], labels: tuple[str, ...]) -> Evaluation:
    """Scores of `predicted` against `truth`, both indices into `labels`.

    A class never predicted has precision 0 (not NaN), so macro-F1 punishes ignoring a class.
    """
    k = len(labels)
    if truth.shape != predicted.shape or truth.ndim != 1:
        raise DataError(f"evaluate: shapes differ, truth {truth.shape} vs predicted {predicted.shape}")
    if truth.size == 0:
        raise DataError("evaluate: no examples")
    for name, arr in (("truth", truth), ("predicted", predicted)):
        if arr.min() < 0 or arr.max() >= k:
            raise DataError(f"evaluate: {name} holds a label outside 0..{k - 1}")
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    tp = np.diag(confusion).astype(np.float64)
    predicted_n = confusion.sum(axis=0).astype(np.float64)
    support = confusion.sum(axis=1)
    precision = np.divide(tp, predicted_n, out=np.zeros(k), where=predicted_n > 0)
    recall = np.divide(tp, support.astype(np.float64), out=np.zeros(k), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(k), where=denom > 0)
    classes = tuple(
        ClassScores(labels[i], float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
        for i in range(k)
    )
    return Evaluation(
        accuracy=float(tp.sum() / truth.size),
        macro_f1=float(f1.mean()),
        classes=classes,
        confusion=confusion,
        n=int(truth.size),
    )
