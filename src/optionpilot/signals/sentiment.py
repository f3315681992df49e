"""Headline sentiment: a small finance lexicon (the default until a trained model ships) and the
per-ticker, time-decayed aggregate the watchlist and the rules read.

`signals` may not import `ports`, so `Sentiment` mirrors `ports.sentiment.SentimentScore` field for
field and `LexiconSentimentModel` has the port's shape (`name`, `score(texts)`); the engine adapts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import DataError, LookAheadError

BULLISH = "bullish"
BEARISH = "bearish"
NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: str  # "bearish" | "bullish" | "neutral"
    score: float  # -1 (bearish) .. +1 (bullish)
    confidence: float  # 0..1
    model: str


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words chosen for what they say about a price, not about a company: no tickers or brokers' names.
BULLISH_WORDS = _words(
    """
    raised raises raise upgrade upgraded upgrades bullish bull climbs climb climbed jump jumps jumped
    rises rise rose rising rally rallies rallied upbeat overweight outperform outperforms positive soar
    soars soared surge surges surged optimistic optimism beat beats tops topped buyback highs high record
    solid bounce bounces lifted lifts lift breakout hopes hope gained gain gains gaining higher upside
    strong stronger strength improves improved improve approval approved boost boosts boosted buy
    accelerates expands expansion exceeds exceeded rebound rebounds recovers recovery squeeze advance
    advances profit profitable wins win
    """
)
BEARISH_WORDS = _words(
    """
    downgraded downgrade downgrades plunges plunge plunged tumble tumbles tumbled sinks sink sank slides
    slide slid lower lowers lowered dumping dump weak weaker weakness slips slip slipped sues sued suing
    lawsuit falls fall fell falling slump slumps disappointing disappoints disappointed downside miss
    misses missed loss losses lose loses losing negative trouble bearish bear below down warning warns
    warn lowest lows concern concerns concerned halt halts halted decline declines declined bankruptcy
    crisis drops drop dropped fears fear underweight underperform cut cuts cutting recession selloff
    worried worries uncertainty fails fail failed probe investigation layoffs sell downturn crash
    crashes slowdown shortfall delay delays recall default
    """
)
_NEGATIONS = _words("not no never without fails failed")
_WORD = re.compile(r"[a-z]+")


class LexiconSentimentModel:
    """Counts bullish and bearish words in a headline; honest, fast and weak.

    score = (bullish - bearish) / (bullish + bearish); a negation just before a word flips it.
    Confidence grows with the number of words that agree, so one word is a weak vote.
    """

    def __init__(self, *, full_confidence_words: int = 3) -> None:
        if full_confidence_words < 1:
            raise DataError(f"sentiment: full_confidence_words must be >= 1, got {full_confidence_words}")
        self._full = full_confidence_words

    @property
    def name(self) -> str:
        return "lexicon-v1"

    def score_one(self, text: str) -> Sentiment:
        bull = bear = 0
        negate = False
        for word in _WORD.findall(text.lower()):
            sign = 1 if word in BULLISH_WORDS else (-1 if word in BEARISH_WORDS else 0)
            if sign and negate:
                sign = -sign
            if sign > 0:
                bull += 1
            elif sign < 0:
                bear += 1
            negate = word in _NEGATIONS
        hits = bull + bear
        if hits == 0 or bull == bear:
            return Sentiment(NEUTRAL, 0.0, 1.0 if hits == 0 else 0.5, self.name)
        score = (bull - bear) / hits
        confidence = min(abs(bull - bear) / self._full, 1.0)
        return Sentiment(BULLISH if score > 0 else BEARISH, score, confidence, self.name)

    def score(self, texts: Sequence[str]) -> list[Sentiment]:
        return [self.score_one(t) for t in texts]


class SentimentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A headline's weight halves every `half_life_minutes` (news moves intraday prices for hours, not days).
    half_life_minutes: float = Field(240.0, gt=0)
    # Below this total decayed weight there is too little news to say anything: the score is 0.
    min_weight: float = Field(0.25, ge=0)
    # Which classifier scores headlines: the shipped trained model, the word lexicon, or a FinBERT directory
    # the user has on disk (`model_path`); nothing is ever downloaded.
    model: Literal["trained", "lexicon", "finbert"] = "trained"
    model_path: Path | None = None


@dataclass(frozen=True, slots=True)
class TickerSentiment:
    symbol: str
    score: float  # confidence- and time-weighted mean, -1..+1; 0 when there is too little news
    weight: float  # decayed sum of confidences: how much news stands behind the score
    items: int  # scored items ever added


class SentimentBook:
    """Per-ticker decayed sums, O(1) per item and per query.

    Each ticker keeps S = sum(w * confidence * score) and W = sum(w * confidence), with
    w = 0.5 ** (age / half_life), both rescaled to a reference time when read or written.
    """

    def __init__(self, config: SentimentConfig | None = None) -> None:
        self.config = config or SentimentConfig()
        self._state: dict[str, tuple[datetime, float, float, int]] = {}
        self.skipped = 0

    def _decay(self, minutes: float) -> float:
        return math.pow(0.5, minutes / self.config.half_life_minutes)

    def add(self, ts: datetime, tickers: Iterable[str], sentiment: Sentiment) -> None:
        """Record one scored item for each of its tickers. An unusable score is skipped and counted."""
        if not (math.isfinite(sentiment.score) and math.isfinite(sentiment.confidence)):
            self.skipped += 1
            return
        score = min(max(sentiment.score, -1.0), 1.0)
        conf = min(max(sentiment.confidence, 0.0), 1.0)
        for symbol in tickers:
            prev = self._state.get(symbol)
            if prev is None:
                self._state[symbol] = (ts, conf * score, conf, 1)
                continue
            ref, s, w, n = prev
            minutes = (ts - ref).total_seconds() / 60.0
            if minutes >= 0:  # newer than the reference: age the sums, then add at full weight
                k = self._decay(minutes)
                self._state[symbol] = (ts, s * k + conf * score, w * k + conf, n + 1)
            else:  # an older item arriving late: add it already aged
                k = self._decay(-minutes)
                self._state[symbol] = (ref, s + k * conf * score, w + k * conf, n + 1)

    def get(self, symbol: str, now: datetime) -> TickerSentiment:
        """The ticker's sentiment as of `now`; asking before the newest item added is looking ahead."""
        state = self._state.get(symbol)
        if state is None:
            return TickerSentiment(symbol, 0.0, 0.0, 0)
        ref, s, w, n = state
        minutes = (now - ref).total_seconds() / 60.0
        if minutes < 0:
            raise LookAheadError(
                f"sentiment {symbol}: asked at {now.isoformat()} but holds news up to {ref.isoformat()}"
            )
        k = self._decay(minutes)
        weight = w * k
        if weight < self.config.min_weight or weight <= 0.0:
            return TickerSentiment(symbol, 0.0, weight, n)
        return TickerSentiment(symbol, (s * k) / weight, weight, n)
