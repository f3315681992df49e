"""Turning headlines into the sparse TF-IDF rows the trained sentiment classifier reads.

Two blocks, each L2-normalised on its own: words (1..n-grams, plus a few domain tokens) and
character n-grams inside words. Everything here is plain numpy/scipy so the shipped model needs
no pickle and no scikit-learn at run time.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

_URL = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*%?|[+\-−]\d|[%$!?]")
_LETTERS = re.compile(r"[a-z]+")
_NUMBER = r"[-+]?\$?\d[\d,]*(?:\.\d+)?"
# "EPS 78 cents vs. 98 cents", "Consumer credit $18.9BN, Exp. $16BN": the sign of the gap carries the news.
_COMPARISON = re.compile(
    "(" + _NUMBER + r")\s*(?:%|[kmb]|bn|bln|mln|billion|million|cents)?\s*(?:,\s*)?"
    r"(?:vs\.?|exp\.?|expected|est\.?)\s*(" + _NUMBER + ")"
)
# Placeholder tokens start with "xx" so they cannot collide with a real word the tokenizer emits.
URL_TOKEN = "xxurl"
LEXICON_BULLISH_TOKEN = "xxlexbull"
LEXICON_BEARISH_TOKEN = "xxlexbear"
_CHAR_CACHE_WORDS = 200_000


class FeatureConfig(BaseModel):
    """How headlines become features; stored inside the model file so scoring matches training."""

    model_config = ConfigDict(extra="forbid")

    word_ngram_max: int = Field(2, ge=1, le=4)
    word_min_df: int = Field(1, ge=1)
    char_ngram_min: int = Field(2, ge=1)
    char_ngram_max: int = Field(5, ge=1, le=8)
    char_min_df: int = Field(2, ge=1)
    # The character block outnumbers the word block; down-weighting it scored better on held-out data.
    char_block_weight: float = Field(0.7, gt=0)
    comparison_tokens: bool = True
    lexicon_tokens: bool = True


def normalise(text: str) -> str:
    """Lower case, with every link replaced by one token (links are noise, their presence is not)."""
    return _URL.sub(f" {URL_TOKEN} ", text.lower())


def _number(text: str) -> float | None:
    try:
        return float(text.replace("$", "").replace(",", ""))
    except ValueError:
        return None


def comparison_tokens(text: str) -> list[str]:
    """One token per "A vs B" or "A, Exp. B" in a normalised text: up, down or equal."""
    out = []
    for a, b in _COMPARISON.findall(text):
        x, y = _number(a), _number(b)
        if x is None or y is None:
            continue
        out.append("xxcmpup" if x > y else ("xxcmpdown" if x < y else "xxcmpeq"))
    return out


def word_features(
    text: str, config: FeatureConfig, bullish: frozenset[str], bearish: frozenset[str]
) -> list[str]:
    """Word n-grams of a normalised text, plus comparison and lexicon tokens when configured."""
    words = _WORD.findall(text)
    out = [
        " ".join(words[i : i + n])
        for n in range(1, config.word_ngram_max + 1)
        for i in range(len(words) - n + 1)
    ]
    if config.comparison_tokens:
        out.extend(comparison_tokens(text))
    if config.lexicon_tokens:
        for word in _LETTERS.findall(text):
            if word in bullish:
                out.append(LEXICON_BULLISH_TOKEN)
            elif word in bearish:
                out.append(LEXICON_BEARISH_TOKEN)
    return out


def word_char_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """Character n-grams of one word, padded with one space each side."""
    padded = f" {word} "
    size = len(padded)
    return [padded[i : i + n] for n in range(lo, min(hi, size) + 1) for i in range(size - n + 1)]


def char_features(text: str, config: FeatureConfig) -> list[str]:
    """Character n-grams of each whitespace-separated word of a text."""
    lo, hi = config.char_ngram_min, config.char_ngram_max
    return [gram for word in text.split() for gram in word_char_ngrams(word, lo, hi)]


@dataclass(frozen=True, slots=True)
class TfidfBlock:
    """A vocabulary (token -> column) and its idf; rows are sublinear tf x idf, L2-normalised."""

    vocabulary: dict[str, int]
    idf: NDArray[np.float64]

    @classmethod
    def fit(cls, docs: Sequence[Sequence[str]], min_df: int) -> TfidfBlock:
        df: Counter[str] = Counter()
        for tokens in docs:
            df.update(set(tokens))
        kept = sorted(token for token, count in df.items() if count >= min_df)
        n = len(docs)
        # Smoothed idf, as if one extra document held every token: never divides by zero.
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept], dtype=np.float64)
        return cls({t: i for i, t in enumerate(kept)}, idf)

    @classmethod
    def from_tokens(cls, tokens: Sequence[str], idf: NDArray[np.float64]) -> TfidfBlock:
        return cls({t: i for i, t in enumerate(tokens)}, idf)

    @property
    def tokens(self) -> list[str]:
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)

    def columns(self, tokens: Iterable[str]) -> list[int]:
        """The columns of the known tokens, repeated as often as they occur; unknown tokens drop out."""
        return [c for c in map(self.vocabulary.get, tokens) if c is not None]

    def transform(self, docs: Iterable[Sequence[str]]) -> sp.csr_matrix:
        return self.rows(self.columns(tokens) for tokens in docs)

    def rows(self, docs: Iterable[list[int]]) -> sp.csr_matrix:
        """One TF-IDF row per list of column occurrences."""
        indptr = [0]
        indices: list[int] = []
        counts: list[int] = []
        for cols_of_doc in docs:
            counted = Counter(cols_of_doc)
            indices.extend(counted.keys())
            counts.extend(counted.values())
            indptr.append(len(indices))
        cols = np.asarray(indices, dtype=np.int64)
        values = (1.0 + np.log(np.asarray(counts, dtype=np.float64))) * self.idf[cols]
        m = sp.csr_matrix(
            (values, cols, np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(self.idf))
        )
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1), dtype=np.float64).ravel())
        norms[norms == 0.0] = 1.0  # a text with no known token stays an empty row
        return sp.csr_matrix(sp.diags(1.0 / norms) @ m)


@dataclass(frozen=True, slots=True)
class Featurizer:
    """Both blocks and the lexicon they were built with: text in, one sparse row per text out."""

    config: FeatureConfig
    words: TfidfBlock
    chars: TfidfBlock
    bullish: frozenset[str]
    bearish: frozenset[str]
    # Word -> its character n-gram columns: headlines reuse words, so this skips most n-gram work.
    _char_columns: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        config: FeatureConfig,
        bullish: frozenset[str],
        bearish: frozenset[str],
    ) -> Featurizer:
        normed = [normalise(t) for t in texts]
        words = TfidfBlock.fit(
            [word_features(t, config, bullish, bearish) for t in normed], config.word_min_df
        )
        chars = TfidfBlock.fit([char_features(t, config) for t in normed], config.char_min_df)
        return cls(config, words, chars, bullish, bearish)

    @property
    def n_features(self) -> int:
        return len(self.words.idf) + len(self.chars.idf)

    def _char_row(self, text: str) -> list[int]:
        cache, cfg = self._char_columns, self.config
        out: list[int] = []
        for word in text.split():
            cols = cache.get(word)
            if cols is None:
                cols = self.chars.columns(word_char_ngrams(word, cfg.char_ngram_min, cfg.char_ngram_max))
                if len(cache) < _CHAR_CACHE_WORDS:  # bounded: a long-running process meets endless new words
                    cache[word] = cols
            out.extend(cols)
        return out

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        normed = [normalise(t) for t in texts]
        cfg = self.config
        w = self.words.transform(word_features(t, cfg, self.bullish, self.bearish) for t in normed)
        c = self.chars.rows(self._char_row(t) for t in normed)
        return sp.hstack([w, c * cfg.char_block_weight], format="csr")
