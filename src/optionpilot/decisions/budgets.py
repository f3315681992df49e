"""Sleeves: each account's capital split between the ways it trades, each with a budget of its own.

Seed 001 gives the intraday flow 70% of capital for day trades and 30% for swings, with at most 70% of the
account deployed; seed 004's multi-leg allocator takes what it is given. One account runs both, so its
equity is cut into sleeves (default day 0.49, swing 0.21, multi-leg 0.30: seed 001's 70/30 inside the
intraday 70%). A sleeve's budget is its share of the account's equity now; an entry fits when what the
sleeve has at work plus the entry's capital stays within it. What no sleeve holds stays in cash.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.core.money import ZERO, cents
from optionpilot.domain.recommendations import Decision

Sleeve = Literal["day", "swing", "multileg"]
SLEEVES: tuple[Sleeve, ...] = ("day", "swing", "multileg")


class SleeveConfig(BaseModel):
    """Shares of the account's equity; they may sum to less than 1 (the rest stays in cash), never more."""

    model_config = ConfigDict(extra="forbid")

    day: Decimal = Field(Decimal("0.49"), ge=0, le=1, description="intraday day trades and stock trades")
    swing: Decimal = Field(Decimal("0.21"), ge=0, le=1, description="intraday 7-30 DTE swing trades")
    multileg: Decimal = Field(Decimal("0.30"), ge=0, le=1, description="scanned multi-leg strategies")

    @model_validator(mode="after")
    def _at_most_whole(self) -> Self:
        total = self.day + self.swing + self.multileg
        if total > 1:
            raise ValueError(f"sleeves day + swing + multileg = {total}, more than the whole account (1)")
        return self

    def share(self, sleeve: Sleeve) -> Decimal:
        return {"day": self.day, "swing": self.swing, "multileg": self.multileg}[sleeve]


def sleeve_for_style(trade_style: str) -> Sleeve:
    """A swing holds for days; day trades and stock trades (flat by the close) share the day sleeve."""
    return "swing" if trade_style == "swing_trade" else "day"


def check_sleeve(
    sleeve: Sleeve, equity: Decimal, deployed: Decimal, cost: Decimal, config: SleeveConfig
) -> Decision[Decimal]:
    """Whether `cost` more fits the sleeve's budget; yes with the room left after it."""
    share = config.share(sleeve)
    budget = equity * share if equity > 0 else ZERO
    after = deployed + cost
    if after > budget:
        return Decision.no(
            f"the {sleeve} sleeve ({share:.0%} of equity, {cents(budget)}) has {cents(deployed)} at work; "
            f"{cents(cost)} more would make {cents(after)}",
            "budget.sleeve",
            sleeve=sleeve,
            budget=float(budget),
            deployed=float(deployed),
            cost=float(cost),
        )
    left = budget - after
    return Decision.yes(
        left,
        f"{sleeve} sleeve: {cents(after)} of {cents(budget)} ({share:.0%} of equity)",
        "budget.ok",
        left=float(left),
    )


def sleeve_room(sleeve: Sleeve, equity: Decimal, deployed: Decimal, config: SleeveConfig) -> Decimal:
    """What the sleeve can still put to work (never negative)."""
    return max(equity * config.share(sleeve) - deployed, ZERO) if equity > 0 else ZERO
