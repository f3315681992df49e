"""Recommendations, rejections and decisions: the records that answer "why" for every trade."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from optionpilot.core.ids import AccountId, PositionId, RecommendationId
from optionpilot.domain.orders import OrderLeg

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Decision(Generic[T]):
    """What a pure decision function returns: a value (or None for "no") and the reason, always."""

    value: T | None
    reason: str
    rule: str = ""  # the rule that decided, e.g. "liquidity.open_interest"
    details: dict[str, float | str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.value is not None

    @staticmethod
    def yes(value: T, reason: str, rule: str = "", **details: float | str) -> Decision[T]:
        return Decision(value, reason, rule, dict(details))

    @staticmethod
    def no(reason: str, rule: str, **details: float | str) -> Decision[T]:
        return Decision(None, reason, rule, dict(details))


@dataclass(frozen=True, slots=True)
class Signal:
    """A market view on one underlying from the signal stage, before any account is considered."""

    ts: datetime
    underlying: str
    direction: str  # "bullish" | "bearish"
    confidence: float
    trade_style: str  # "day_trade" | "swing_trade" | "stock"
    reason: str
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """What one account decided to do about a signal: the order it will send and why."""

    recommendation_id: RecommendationId
    ts: datetime
    account_id: AccountId
    underlying: str
    strategy_type: str  # e.g. "long_call/day_trade"
    legs: tuple[OrderLeg, ...]
    quantity: int
    limit_price: Decimal | None
    confidence: float
    reason: str
    position_id: PositionId | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """Something the flow decided not to do, with the rule that said no."""

    ts: datetime
    stage: str  # signals, dispatch, risk, liquidity, sizing, exits, broker
    rule: str
    reason: str
    underlying: str = ""
    account_id: AccountId | None = None
    details: dict[str, float | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PositionEvent:
    ts: datetime
    position_id: PositionId
    account_id: AccountId
    kind: str
    reason: str
    quantity: int = 0
    price: Decimal | None = None
