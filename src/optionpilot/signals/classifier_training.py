"""Training the shipped sentiment classifier: L2-regularised softmax regression by L-BFGS.

Reproducible: the solver starts from zeros and has no random step. What it cannot control is rounding:
L-BFGS-B's vector sums run through BLAS, whose thread count and CPU kernels change the last bits, and
those bits steer the path. Stopping on a plateau of the loss (SciPy's default relative `ftol`) let that
path decide where training ended: two machines' models differed by 6e-4 in a weight. So training stops
on the gradient alone (`loss_tolerance` 0, `gradient_tolerance` 1e-9), as near the unique optimum (the
loss is strictly convex) as float64 allows; runs with 1 and 2 BLAS threads then agree within 1e-6, far
below the float32 the model file stores weights in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import minimize

from optionpilot.core.errors import DataError
from optionpilot.signals.classifier import TrainedSentimentModel
from optionpilot.signals.classifier_data import LABELS, LabelledTexts, read_labelled_csv
from optionpilot.signals.classifier_features import FeatureConfig, Featurizer
from optionpilot.signals.classifier_metrics import Evaluation, evaluate

# The lexicon model's word lists become two count features; the model file keeps its own copy.
from optionpilot.signals.sentiment import BEARISH_WORDS, BULLISH_WORDS

TRAIN_FILE = "sent_train.csv"
VALID_FILE = "sent_valid.csv"


class ClassifierTrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "linear-tfidf-v1"
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    # Inverse L2 strength on a summed log-loss; 5 balanced fit and held-out accuracy.
    c: float = Field(5.0, gt=0)
    max_iter: int = Field(2000, ge=1)
    # Stop on the gradient only: a loss plateau is where rounding, not the data, ends the fit (see above).
    gradient_tolerance: float = Field(1e-9, gt=0)
    loss_tolerance: float = Field(0.0, ge=0, description="SciPy's relative ftol; 0 stops on the gradient")


def fit_softmax(
    x: sp.csr_matrix,
    y: NDArray[np.int64],
    n_classes: int,
    *,
    c: float,
    max_iter: int,
    gtol: float,
    ftol: float = 0.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Weights (features x classes), bias and iterations of min sum(log-loss) + |W|^2 / (2c)."""
    d = x.shape[1]
    onehot = np.eye(n_classes)[y]
    xt = x.T.tocsr()

    def loss_and_grad(w: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        weights = w[: d * n_classes].reshape(d, n_classes)
        z = np.asarray(x @ weights) + w[d * n_classes :]
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1))
        p = np.exp(z - lse[:, None])
        loss = float((lse - (z * onehot).sum(axis=1)).sum() + 0.5 / c * (weights * weights).sum())
        g = p - onehot
        grad_w = np.asarray(xt @ g) + weights / c
        return loss, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

    result = minimize(
        loss_and_grad,
        np.zeros(d * n_classes + n_classes),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": gtol, "ftol": ftol},
    )
    w = np.asarray(result.x, dtype=np.float64)
    return w[: d * n_classes].reshape(d, n_classes).copy(), w[d * n_classes :].copy(), int(result.nit)


def train(data: LabelledTexts, config: ClassifierTrainingConfig | None = None) -> TrainedSentimentModel:
    """Fit features and weights on `data`."""
    config = config or ClassifierTrainingConfig()
    if len(set(data.labels.tolist())) < len(LABELS):
        raise DataError(f"training data needs every label {list(LABELS)}", source=data.source)
    featurizer = Featurizer.fit(
        data.texts, config.features, frozenset(BULLISH_WORDS), frozenset(BEARISH_WORDS)
    )
    x = featurizer.transform(data.texts)
    weights, bias, iterations = fit_softmax(
        x,
        data.labels,
        len(LABELS),
        c=config.c,
        max_iter=config.max_iter,
        gtol=config.gradient_tolerance,
        ftol=config.loss_tolerance,
    )
    meta = {
        "c": config.c,
        "iterations": iterations,
        "trained_on": Path(data.source).name,
        "rows": len(data.texts),
    }
    return TrainedSentimentModel(featurizer, weights, bias, name=config.name, meta=meta)


def evaluate_model(model: TrainedSentimentModel, data: LabelledTexts) -> Evaluation:
    return evaluate(data.labels, model.predict(data.texts), LABELS)


@dataclass(frozen=True, slots=True)
class TrainingRun:
    model: TrainedSentimentModel
    validation: Evaluation


def train_from_directory(directory: Path, config: ClassifierTrainingConfig | None = None) -> TrainingRun:
    """Train on `directory/sent_train.csv` and score on `directory/sent_valid.csv`."""
    model = train(read_labelled_csv(directory / TRAIN_FILE), config)
    return TrainingRun(model, evaluate_model(model, read_labelled_csv(directory / VALID_FILE)))
