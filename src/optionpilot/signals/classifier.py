"""The shipped headline sentiment classifier, and the one place that picks a sentiment backend.

`TrainedSentimentModel` has the shape of `LexiconSentimentModel` (`name`, `score(texts)`): a
multinomial logistic regression over word and character TF-IDF, stored as arrays in an `.npz`
file (no pickle) and scored with numpy/scipy. `optionpilot sentiment train` rebuilds the file.
"""

from __future__ import annotations

import importlib
import json
import zipfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import ConfigError, DataError
from optionpilot.signals.classifier_data import LABELS
from optionpilot.signals.classifier_features import FeatureConfig, Featurizer, TfidfBlock
from optionpilot.signals.sentiment import BEARISH, BULLISH, NEUTRAL, LexiconSentimentModel, Sentiment

SHIPPED_MODEL = Path(__file__).resolve().parent / "models" / "sentiment_linear_v1.npz"
FORMAT_VERSION = 1
_BULL, _BEAR = LABELS.index(BULLISH), LABELS.index(BEARISH)


def _pack(tokens: Sequence[str]) -> NDArray[np.uint8]:
    # One UTF-8 buffer joined by newlines: tokens never hold a newline (they come from split text).
    return np.frombuffer("\n".join(tokens).encode("utf-8"), dtype=np.uint8)


def _unpack(buffer: NDArray[np.uint8]) -> list[str]:
    text = buffer.tobytes().decode("utf-8")
    return text.split("\n") if text else []


class TrainedSentimentModel:
    """Bearish / bullish / neutral from headline text.

    score = P(bullish) - P(bearish), in -1..+1; confidence = the probability of the chosen label.
    """

    def __init__(
        self,
        featurizer: Featurizer,
        weights: NDArray[np.float64],
        bias: NDArray[np.float64],
        *,
        name: str,
        meta: dict[str, Any] | None = None,
    ) -> None:
        k = len(LABELS)
        if weights.shape != (featurizer.n_features, k) or bias.shape != (k,):
            raise DataError(
                f"sentiment model {name}: weights {weights.shape} and bias {bias.shape} do not fit "
                f"{featurizer.n_features} features and {k} labels"
            )
        if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(bias))):
            raise DataError(f"sentiment model {name}: weights hold NaN or infinity")
        self.featurizer = featurizer
        self.weights = weights
        self.bias = bias
        self._name = name
        self.meta: dict[str, Any] = dict(meta or {})

    @property
    def name(self) -> str:
        return self._name

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """One row per text: P(bearish), P(bullish), P(neutral)."""
        if not texts:
            return np.zeros((0, len(LABELS)))
        x: sp.csr_matrix = self.featurizer.transform(texts)
        z = np.asarray(x @ self.weights, dtype=np.float64) + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return p

    def predict(self, texts: Sequence[str]) -> NDArray[np.int64]:
        """Index into LABELS of the most probable label of each text."""
        return np.asarray(self.probabilities(texts).argmax(axis=1), dtype=np.int64)

    def score(self, texts: Sequence[str]) -> list[Sentiment]:
        p = self.probabilities(texts)
        best = p.argmax(axis=1)
        scores = np.clip(p[:, _BULL] - p[:, _BEAR], -1.0, 1.0)
        return [
            Sentiment(LABELS[b], float(s), float(p[i, b]), self._name)
            for i, (b, s) in enumerate(zip(best, scores, strict=True))
        ]

    def save(self, path: Path) -> None:
        """Write the model as a compressed `.npz` of plain arrays (readable with allow_pickle=False)."""
        meta = {**self.meta, "name": self._name, "features": self.featurizer.config.model_dump()}
        arrays = {
            "format_version": np.array(FORMAT_VERSION),
            "meta": _pack([json.dumps(meta, sort_keys=True)]),
            "labels": _pack(list(LABELS)),
            "word_tokens": _pack(self.featurizer.words.tokens),
            "word_idf": self.featurizer.words.idf,
            "char_tokens": _pack(self.featurizer.chars.tokens),
            "char_idf": self.featurizer.chars.idf,
            "lexicon_bullish": _pack(sorted(self.featurizer.bullish)),
            "lexicon_bearish": _pack(sorted(self.featurizer.bearish)),
            # float32 halves the file; the rounding moves probabilities by ~1e-7.
            "weights": self.weights.astype(np.float32),
            "bias": self.bias,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # np.savez stamps each member with the wall-clock time; a fixed stamp makes the file the same
        # bytes on every rebuild (the same layout np.load reads).
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as fh:
                    np.lib.format.write_array(fh, np.asanyarray(array), allow_pickle=False)

    @classmethod
    def load(cls, path: Path | None = None) -> TrainedSentimentModel:
        """Read a model file; the shipped one when `path` is None."""
        path = SHIPPED_MODEL if path is None else path
        source = str(path)
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except FileNotFoundError:
            raise ConfigError(f"sentiment model file not found: {source}") from None
        except (OSError, ValueError) as exc:
            raise DataError(f"not a sentiment model file ({exc})", source=source) from None
        needed = {"format_version", "meta", "labels", "word_tokens", "word_idf", "char_tokens", "char_idf"}
        needed |= {"lexicon_bullish", "lexicon_bearish", "weights", "bias"}
        missing = sorted(needed - arrays.keys())
        if missing:
            raise DataError(f"sentiment model file lacks {', '.join(missing)}", source=source)
        version = int(arrays["format_version"])
        if version != FORMAT_VERSION:
            raise DataError(f"model format {version}, this code reads {FORMAT_VERSION}", source=source)
        if tuple(_unpack(arrays["labels"])) != LABELS:
            raise DataError(f"labels {_unpack(arrays['labels'])} differ from {list(LABELS)}", source=source)
        try:
            meta = json.loads(_unpack(arrays["meta"])[0])
            features = FeatureConfig.model_validate(meta.pop("features"))
            name = str(meta.pop("name"))
            word_tokens, char_tokens = _unpack(arrays["word_tokens"]), _unpack(arrays["char_tokens"])
            bullish, bearish = _unpack(arrays["lexicon_bullish"]), _unpack(arrays["lexicon_bearish"])
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise DataError(f"unreadable model metadata or vocabulary ({exc})", source=source) from None
        word_idf = np.asarray(arrays["word_idf"], dtype=np.float64)
        char_idf = np.asarray(arrays["char_idf"], dtype=np.float64)
        if len(word_tokens) != len(word_idf) or len(char_tokens) != len(char_idf):
            raise DataError("vocabulary and idf lengths differ", source=source)
        featurizer = Featurizer(
            features,
            TfidfBlock.from_tokens(word_tokens, word_idf),
            TfidfBlock.from_tokens(char_tokens, char_idf),
            frozenset(bullish),
            frozenset(bearish),
        )
        weights = np.asarray(arrays["weights"], dtype=np.float64)
        bias = np.asarray(arrays["bias"], dtype=np.float64)
        try:
            return cls(featurizer, weights, bias, name=name, meta=meta)
        except DataError as exc:
            raise DataError(str(exc), source=source) from None


@lru_cache(maxsize=1)
def shipped_model() -> TrainedSentimentModel:
    """The model that ships with the package, read once per process (it is immutable)."""
    return TrainedSentimentModel.load(SHIPPED_MODEL)


class FinBertConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(32, ge=1)
    # Headlines are short; 128 word pieces keep all of them and bound memory per batch.
    max_length: int = Field(128, ge=8)


class FinBertSentimentModel:
    """A FinBERT-style sequence classifier from a local directory, through `transformers`.

    Never downloads: the directory must already hold the model and its tokenizer.
    """

    def __init__(self, path: Path, config: FinBertConfig | None = None) -> None:
        if not path.is_dir():
            raise ConfigError(
                f"sentiment finbert: model directory not found: {path} (download it yourself; "
                "it is never fetched at run time)"
            )
        try:
            transformers = importlib.import_module("transformers")
            self._torch = importlib.import_module("torch")
        except ImportError as exc:
            raise ConfigError(
                f"sentiment finbert: needs the `transformers` and `torch` packages ({exc.name} is not "
                "installed); or choose the 'trained' model"
            ) from None
        try:
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
            self._model = transformers.AutoModelForSequenceClassification.from_pretrained(
                path, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise ConfigError(f"sentiment finbert: cannot load a model from {path}: {exc}") from None
        self._model.eval()
        id2label: dict[int, str] = {int(k): str(v).lower() for k, v in self._model.config.id2label.items()}
        aliases = {"positive": BULLISH, "negative": BEARISH, "neutral": NEUTRAL}
        aliases |= {label: label for label in LABELS}
        try:
            self._labels = [aliases[id2label[i]] for i in range(len(id2label))]
        except KeyError:
            raise ConfigError(
                f"sentiment finbert: labels {sorted(id2label.values())} in {path} are not "
                "positive/negative/neutral"
            ) from None
        self.config = config or FinBertConfig()
        self._name = f"finbert:{path.name}"

    @property
    def name(self) -> str:
        return self._name

    def score(self, texts: Sequence[str]) -> list[Sentiment]:
        out: list[Sentiment] = []
        size = self.config.batch_size
        for start in range(0, len(texts), size):
            batch = list(texts[start : start + size])
            enc = self._tokenizer(
                batch, padding=True, truncation=True, max_length=self.config.max_length, return_tensors="pt"
            )
            with self._torch.no_grad():
                probs = self._torch.softmax(self._model(**enc).logits, dim=-1).cpu().numpy()
            for row in np.asarray(probs, dtype=np.float64):
                by_label = dict(zip(self._labels, row, strict=True))
                best = int(row.argmax())
                score = float(np.clip(by_label.get(BULLISH, 0.0) - by_label.get(BEARISH, 0.0), -1.0, 1.0))
                out.append(Sentiment(self._labels[best], score, float(row[best]), self._name))
        return out


class HeadlineSentimentModel(Protocol):
    @property
    def name(self) -> str: ...

    def score(self, texts: Sequence[str]) -> list[Sentiment]: ...


SentimentKind = Literal["trained", "lexicon", "finbert"]


def load_sentiment_model(
    kind: SentimentKind | str = "trained", path: Path | None = None, *, finbert: FinBertConfig | None = None
) -> HeadlineSentimentModel:
    """The sentiment backend a user chose.

    trained: the shipped model (or the `.npz` at `path`); lexicon: the word-count model (no path);
    finbert: a local model directory at `path`, through `transformers`.
    """
    if kind == "trained":
        return shipped_model() if path is None else TrainedSentimentModel.load(path)
    if kind == "lexicon":
        if path is not None:
            raise ConfigError(f"sentiment model 'lexicon' takes no model file, got {path}")
        return LexiconSentimentModel()
    if kind == "finbert":
        if path is None:
            raise ConfigError("sentiment model 'finbert' needs the path of a local model directory")
        return FinBertSentimentModel(path, finbert)
    raise ConfigError(f"sentiment model kind must be 'trained', 'lexicon' or 'finbert', got {kind!r}")
