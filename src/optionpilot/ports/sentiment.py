"""The sentiment port: a classifier of headlines into bearish, bullish and neutral."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SentimentScore:
    label: str  # "bearish" | "bullish" | "neutral"
    score: float  # -1 (bearish) .. +1 (bullish)
    confidence: float  # 0..1
    model: str


class SentimentModel(Protocol):
    @property
    def name(self) -> str: ...

    def score(self, texts: Sequence[str]) -> list[SentimentScore]: ...
