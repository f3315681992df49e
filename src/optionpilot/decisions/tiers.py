"""Account tiers (seed 002): how much a trade may risk, and how strong a signal must be, by account size."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.domain.recommendations import Decision

DAY_TRADE = "day_trade"
SWING_TRADE = "swing_trade"


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    max_buying_power: Decimal | None  # inclusive upper bound; None for the last, unbounded tier
    risk_pct_day: Decimal = Field(ge=0, le=1)
    risk_pct_swing: Decimal = Field(ge=0, le=1)
    max_contracts: int = Field(ge=1)
    min_confidence: float = Field(ge=0, le=1)
    min_volume_ratio: float = Field(ge=0)

    def risk_pct(self, trade_style: str) -> Decimal:
        if trade_style == DAY_TRADE:
            return self.risk_pct_day
        if trade_style == SWING_TRADE:
            return self.risk_pct_swing
        raise ValueError(f"tier {self.name}: no risk share for trade style {trade_style!r}")


def _tier(name: str, cap: str | None, day: str, swing: str, n: int, conf: float, vol: float) -> Tier:
    return Tier(
        name=name,
        max_buying_power=None if cap is None else Decimal(cap),
        risk_pct_day=Decimal(day),
        risk_pct_swing=Decimal(swing),
        max_contracts=n,
        min_confidence=conf,
        min_volume_ratio=vol,
    )


DEFAULT_TIERS: tuple[Tier, ...] = (
    _tier("tiny", "2000", "0.25", "0.15", 2, 0.70, 2.0),
    _tier("small", "5000", "0.12", "0.08", 3, 0.65, 1.8),
    _tier("medium", "25000", "0.04", "0.06", 5, 0.55, 1.5),
    _tier("large", None, "0.01", "0.02", 10, 0.45, 1.2),
)


class TierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiers: tuple[Tier, ...] = DEFAULT_TIERS

    @model_validator(mode="after")
    def _ordered(self) -> TierConfig:
        if not self.tiers:
            raise ValueError("tiers: at least one tier is needed")
        caps = [t.max_buying_power for t in self.tiers]
        if caps[-1] is not None:
            raise ValueError(f"tiers: the last tier ({self.tiers[-1].name}) must have no max_buying_power")
        bounded = [c for c in caps[:-1] if c is not None]
        if len(bounded) != len(caps) - 1 or bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
            raise ValueError("tiers: max_buying_power must rise strictly, and only the last may be empty")
        return self


def tier_for(buying_power: Decimal, config: TierConfig | None = None) -> Tier:
    """The first tier whose cap the buying power does not exceed ($2,000 is still tiny)."""
    for tier in (config or TierConfig()).tiers:
        if tier.max_buying_power is None or buying_power <= tier.max_buying_power:
            return tier
    raise AssertionError("unreachable: the validator guarantees an unbounded last tier")


def tier_admits(tier: Tier, confidence: float, volume_ratio: float) -> Decision[Tier]:
    """The tier's bar for a signal: minimum confidence and minimum volume ratio."""
    if confidence < tier.min_confidence:
        return Decision.no(
            f"confidence {confidence:.2f} below the {tier.name} tier's {tier.min_confidence:.2f}",
            "tiers.min_confidence",
            confidence=confidence,
        )
    if not volume_ratio >= tier.min_volume_ratio:  # NaN fails too
        return Decision.no(
            f"volume ratio {volume_ratio:.2f} below the {tier.name} tier's {tier.min_volume_ratio:.2f}",
            "tiers.min_volume_ratio",
            volume_ratio=volume_ratio,
        )
    return Decision.yes(tier, f"{tier.name} tier admits confidence {confidence:.2f}", "tiers.admit")
