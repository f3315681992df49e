"""The shipped sentiment classifier: accuracy on real headlines, bounded scores, its file, the loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optionpilot.core.errors import ConfigError, DataError
from optionpilot.signals.classifier import (
    SHIPPED_MODEL,
    FinBertConfig,
    TrainedSentimentModel,
    load_sentiment_model,
    shipped_model,
)
from optionpilot.signals.classifier_data import LABELS, LabelledTexts, read_labelled_csv
from optionpilot.signals.classifier_training import ClassifierTrainingConfig, evaluate_model, train
from optionpilot.signals.sentiment import LexiconSentimentModel

SENTIMENT = Path("sentiment") / "twitter_financial_news"


def test_shipped_model_reaches_the_goal_on_sent_valid(shared_data: Path) -> None:
    valid = read_labelled_csv(shared_data / SENTIMENT / "sent_valid.csv")
    result = evaluate_model(shipped_model(), valid)
    assert result.n == 2388
    assert result.accuracy >= 0.85
    assert result.macro_f1 >= 0.78
    lexicon = LexiconSentimentModel().score(valid.texts)
    lexicon_acc = np.mean([s.label == LABELS[y] for s, y in zip(lexicon, valid.labels, strict=True)])
    assert result.accuracy > lexicon_acc + 0.08


def test_scores_are_bounded_and_agree_with_labels(shared_data: Path) -> None:
    texts = read_labelled_csv(shared_data / SENTIMENT / "sent_valid.csv").texts
    model = shipped_model()
    scored = model.score(texts)
    assert len(scored) == len(texts)
    p = model.probabilities(texts)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    for s, row in zip(scored, p, strict=True):
        assert -1.0 <= s.score <= 1.0 and 0.0 <= s.confidence <= 1.0
        assert s.label in LABELS and s.model == model.name == "linear-tfidf-v1"
        assert s.score == pytest.approx(row[1] - row[0])
        assert s.confidence == pytest.approx(row.max()) and s.confidence >= 1 / 3
        if s.label == "bullish":
            assert s.score > 0
        elif s.label == "bearish":
            assert s.score < 0


def test_clear_headlines_get_the_obvious_label() -> None:
    up, down, flat = shipped_model().score(
        [
            "Adobe price target raised to $350 vs. $320 at Canaccord",
            "XYZ downgraded to underperform at BofA, shares plunge 12%",
            "Company to hold annual shareholder meeting on Tuesday",
        ]
    )
    assert (up.label, down.label, flat.label) == ("bullish", "bearish", "neutral")
    assert up.score > 0.5 and down.score < -0.5


def test_empty_and_odd_input() -> None:
    model = shipped_model()
    assert model.score([]) == []
    assert model.probabilities([]).shape == (0, 3)
    odd = model.score(["", "   ", "https://t.co/abc", "🚀🚀🚀", "$SPY $AAPL", "x" * 10_000])
    assert len(odd) == 6
    assert all(np.isfinite(s.score) and -1 <= s.score <= 1 for s in odd)
    # No known token at all: only the bias speaks, and the bias favours the commonest label.
    assert odd[0].label == odd[1].label == "neutral"


def test_batch_and_single_scoring_agree() -> None:
    texts = ["Apple shares jump after earnings beat", "Oil slides as demand fears grow", "Fed meets today"]
    model = shipped_model()
    batch = model.score(texts)
    singles = [model.score([t])[0] for t in texts]
    assert [s.label for s in batch] == [s.label for s in singles]
    np.testing.assert_allclose([s.score for s in batch], [s.score for s in singles], atol=1e-12)


def _tiny() -> LabelledTexts:
    rows = [
        ("shares jump on strong earnings beat", 1),
        ("stock soars after upgrade to buy", 1),
        ("price target raised to $50 vs. $40", 1),
        ("shares plunge after guidance cut", 0),
        ("stock falls on weak sales miss", 0),
        ("downgraded to sell, target cut to $20 vs. $30", 0),
        ("company to present at conference", 2),
        ("annual meeting scheduled for march", 2),
        ("ceo interview on tv tonight", 2),
    ]
    return LabelledTexts([t for t, _ in rows], np.array([y for _, y in rows], dtype=np.int64), "tiny.csv")


def test_save_and_load_round_trip_without_pickle(tmp_path: Path) -> None:
    model = train(_tiny(), ClassifierTrainingConfig(name="tiny-v0"))
    out = tmp_path / "m.npz"
    model.save(out)
    with np.load(out, allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    loaded = TrainedSentimentModel.load(out)
    assert loaded.name == "tiny-v0" and loaded.meta["rows"] == 9
    texts = ["shares jump", "target cut", "meeting today", ""]
    np.testing.assert_allclose(loaded.probabilities(texts), model.probabilities(texts), atol=1e-6)
    assert [s.label for s in loaded.score(texts)] == [s.label for s in model.score(texts)]


def test_training_needs_every_label() -> None:
    data = _tiny()
    keep = data.labels != 2
    one_short = LabelledTexts(
        [t for t, k in zip(data.texts, keep, strict=True) if k], data.labels[keep], "x.csv"
    )
    with pytest.raises(DataError, match=r"x\.csv: training data needs every label"):
        train(one_short)


def test_shipped_file_is_small_and_portable() -> None:
    assert SHIPPED_MODEL.suffix == ".npz"
    assert SHIPPED_MODEL.stat().st_size < 5_000_000
    with np.load(SHIPPED_MODEL, allow_pickle=False) as npz:
        assert {"weights", "bias", "word_idf", "char_idf"} <= set(npz.files)


@pytest.mark.slow
def test_training_reproduces_the_shipped_model(shared_data: Path) -> None:
    rebuilt = train(read_labelled_csv(shared_data / SENTIMENT / "sent_train.csv"))
    shipped = shipped_model()
    assert rebuilt.featurizer.words.vocabulary == shipped.featurizer.words.vocabulary
    assert rebuilt.featurizer.chars.vocabulary == shipped.featurizer.chars.vocabulary
    np.testing.assert_allclose(rebuilt.featurizer.chars.idf, shipped.featurizer.chars.idf, rtol=1e-12)
    # What matters, exactly: every validation prediction, hence accuracy and macro-F1.
    valid = read_labelled_csv(shared_data / SENTIMENT / "sent_valid.csv")
    assert np.array_equal(rebuilt.predict(valid.texts), shipped.predict(valid.texts))
    scores = evaluate_model(rebuilt, valid)
    assert (round(scores.accuracy, 3), round(scores.macro_f1, 3)) == (0.855, 0.798)
    # Weights: training stops on the gradient (1e-9), so runs differ only by BLAS rounding (8e-7 between
    # 1 and 2 threads) plus the file's float32 (half an ulp of the largest weight, 13.2: 5e-7). 1e-5 is
    # ten times that; the old loss-plateau stop missed it by 6e-4.
    np.testing.assert_allclose(rebuilt.weights, shipped.weights, rtol=0, atol=1e-5)
    np.testing.assert_allclose(rebuilt.bias, shipped.bias, rtol=0, atol=1e-5)


def test_saving_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    model = train(_tiny())
    model.save(tmp_path / "a.npz")
    model.save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    again = TrainedSentimentModel.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(again.weights, model.weights.astype(np.float32))


# --- the loader ---------------------------------------------------------------------------------------


def test_loader_picks_each_backend(tmp_path: Path) -> None:
    assert load_sentiment_model("trained") is shipped_model()  # read once, shared
    assert isinstance(load_sentiment_model("lexicon"), LexiconSentimentModel)
    train(_tiny()).save(tmp_path / "tiny.npz")
    assert load_sentiment_model("trained", tmp_path / "tiny.npz").name == "linear-tfidf-v1"


def test_loader_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be 'trained', 'lexicon' or 'finbert'"):
        load_sentiment_model("bert")
    with pytest.raises(ConfigError, match="takes no model file"):
        load_sentiment_model("lexicon", tmp_path)
    with pytest.raises(ConfigError, match=r"not found: .*nope\.npz"):
        load_sentiment_model("trained", tmp_path / "nope.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(DataError, match=r"junk\.npz: not a sentiment model file"):
        load_sentiment_model("trained", junk)


def test_finbert_needs_a_local_directory_and_transformers(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs the path"):
        load_sentiment_model("finbert")
    with pytest.raises(ConfigError, match=r"model directory not found: .*finbert-missing"):
        load_sentiment_model("finbert", tmp_path / "finbert-missing")
    try:
        import transformers  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="transformers"):
            load_sentiment_model("finbert", tmp_path)
    else:  # with transformers, an empty directory holds no model: still a ConfigError, no download
        with pytest.raises(ConfigError, match="cannot load a model"):
            load_sentiment_model("finbert", tmp_path)


def test_a_damaged_model_file_names_itself(tmp_path: Path) -> None:
    good = tmp_path / "good.npz"
    train(_tiny()).save(good)
    with np.load(good, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    bad = tmp_path / "bad.npz"
    np.savez(bad, **{**arrays, "weights": arrays["weights"][:-1]})
    with pytest.raises(DataError, match=r"bad\.npz: .*do not fit"):
        TrainedSentimentModel.load(bad)
    np.savez(bad, **{**arrays, "meta": np.frombuffer(b"{not json", dtype=np.uint8)})
    with pytest.raises(DataError, match=r"bad\.npz: unreadable model metadata"):
        TrainedSentimentModel.load(bad)
    np.savez(bad, **{k: v for k, v in arrays.items() if k != "bias"})
    with pytest.raises(DataError, match=r"bad\.npz: sentiment model file lacks bias"):
        TrainedSentimentModel.load(bad)


class _Tensor:
    """Just enough of a torch tensor for the FinBERT path: numpy underneath."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def cpu(self) -> _Tensor:
        return self

    def numpy(self) -> np.ndarray:
        return self.a


def test_finbert_maps_its_labels_and_scores_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    import sys
    import types

    calls: list[int] = []

    class Model:
        config = types.SimpleNamespace(id2label={0: "positive", 1: "negative", 2: "neutral"})

        def eval(self) -> None: ...

        def __call__(self, n: int) -> types.SimpleNamespace:
            calls.append(n)
            # Every text: logits favouring "negative" (column 1).
            return types.SimpleNamespace(logits=np.tile([0.0, 2.0, 0.0], (n, 1)))

    def softmax(x: np.ndarray, dim: int) -> _Tensor:
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        return _Tensor(e / e.sum(axis=dim, keepdims=True))

    def load(path: Path, local_files_only: bool) -> object:
        assert local_files_only  # never a download
        return Model()

    fake_tf = types.SimpleNamespace(
        AutoTokenizer=types.SimpleNamespace(
            from_pretrained=lambda p, local_files_only: lambda b, **kw: {"n": len(b)}
        ),
        AutoModelForSequenceClassification=types.SimpleNamespace(from_pretrained=load),
    )
    fake_torch = types.SimpleNamespace(no_grad=contextlib.nullcontext, softmax=softmax)
    monkeypatch.setitem(sys.modules, "transformers", fake_tf)
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    model = load_sentiment_model("finbert", tmp_path, finbert=FinBertConfig(batch_size=2))
    scored = model.score(["a", "b", "c"])
    assert calls == [2, 1]
    assert [s.label for s in scored] == ["bearish"] * 3
    p_neg = np.exp(2.0) / (np.exp(2.0) + 2.0)
    p_pos = 1.0 / (np.exp(2.0) + 2.0)
    assert scored[0].score == pytest.approx(p_pos - p_neg) and scored[0].confidence == pytest.approx(p_neg)
    assert model.name == f"finbert:{tmp_path.name}" and model.score([]) == []
