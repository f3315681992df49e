"""Rolls (seed 003): bank a winning long by rolling its strike up; roll a threatened short out at 21 DTE."""

from __future__ import annotations

from dataclasses import dataclass

from optionpilot.decisions.exits.config import ExitConfig
from optionpilot.decisions.exits.single_leg import PositionView, validate_view
from optionpilot.domain.recommendations import Decision


@dataclass(frozen=True, slots=True)
class RollProposal:
    kind: str  # "roll_up" (a winning long to a further strike) | "roll_out" (a short to a later expiry)
    quantity: int


def propose_roll(v: PositionView, config: ExitConfig | None = None) -> Decision[RollProposal]:
    """Seed 003's rolls: bank a winning long by rolling it up; roll a short at 21 DTE if still at risk."""
    cfg = config or ExitConfig()
    validate_view(v)
    if v.option_price is None or v.option_price <= 0:
        return Decision.no("no option quote to judge a roll", "exits.roll_no_quote")
    pnl = v.option_price / v.entry_price - 1
    if v.is_long:
        if pnl >= cfg.roll_long_gain:
            direction = "up" if v.is_call else "down"
            return Decision.yes(
                RollProposal("roll_up", v.quantity),
                f"long up {pnl:+.0%} (>= {cfg.roll_long_gain:.0%}): "
                f"roll the strike {direction} to bank the gain",
                "exits.roll_up",
            )
        return Decision.no(
            f"long at {pnl:+.0%}: below the {cfg.roll_long_gain:.0%} roll gain", "exits.roll_none"
        )
    # For a short the entry is the credit: a price above it is a loss, the position is at risk.
    if v.dte <= cfg.roll_short_dte and v.option_price > v.entry_price:
        return Decision.yes(
            RollProposal("roll_out", v.quantity),
            f"short at {v.dte} DTE and losing ({v.option_price} vs credit {v.entry_price}): roll out",
            "exits.roll_out",
        )
    return Decision.no(f"short at {v.dte} DTE, not at risk or not yet due", "exits.roll_none")
