"""Exit rules of a stock position (a stock entry, or shares delivered at expiry), registered by name.

The stock rules use the underlying thresholds of `ExitConfig` (seed 003's structure exit): out at
`underlying_stop` against the entry, at `underlying_target` with it, and flat by the close unless a swing.
Shares delivered at expiry are not a strategy and are sold at once. The strategy key in `rule_sets` is
"stock".
"""

from __future__ import annotations

from dataclasses import dataclass

from optionpilot.decisions.exits.actions import ExitAction, ExitSignal, Urgency
from optionpilot.decisions.exits.config import ExitConfig
from optionpilot.decisions.exits.registry import REGISTRY, select_rules
from optionpilot.domain.recommendations import Decision

STOCK = "stock"


@dataclass(frozen=True, slots=True)
class StockView:
    cfg: ExitConfig
    quantity: int  # signed shares: + long, - short
    entry: float  # average entry price
    spot: float
    style: str  # the position's trade style ("stock", "day_trade", "swing_trade")
    minutes_to_close: float
    delivered: bool = False
    loss_limit: float | None = None  # seed 004's absolute stop, in currency (`absolute.py`); None: off

    @property
    def move(self) -> float:
        """The price's move from the entry, in the position's favour."""
        return (self.spot - self.entry) / self.entry * (1 if self.quantity > 0 else -1)


def _close(v: StockView, reason: str, rule: str) -> Decision[ExitSignal]:
    return Decision.yes(ExitSignal(ExitAction.CLOSE, abs(v.quantity), Urgency.MEDIUM), reason, rule)


@REGISTRY.stock_rule("exits.delivered_shares")
def delivered_shares(v: StockView) -> Decision[ExitSignal] | None:
    if v.delivered:
        return _close(v, "shares delivered at expiry are not a strategy: sold", "exits.delivered_shares")
    return None


@REGISTRY.stock_rule("exits.stock_stop")
def stock_stop(v: StockView) -> Decision[ExitSignal] | None:
    if v.move <= -v.cfg.underlying_stop:
        why = f"stock {v.move:+.2%} against entry {v.entry:.2f} (stop -{v.cfg.underlying_stop:.1%})"
        return _close(v, why, "exits.stock_stop")
    return None


@REGISTRY.stock_rule("exits.stock_target")
def stock_target(v: StockView) -> Decision[ExitSignal] | None:
    if v.move >= v.cfg.underlying_target:
        why = f"stock {v.move:+.2%} with entry {v.entry:.2f} (target +{v.cfg.underlying_target:.1%})"
        return _close(v, why, "exits.stock_target")
    return None


@REGISTRY.stock_rule("exits.flat_by_close")
def flat_by_close(v: StockView) -> Decision[ExitSignal] | None:
    if v.style != "swing_trade" and v.minutes_to_close <= v.cfg.flat_minutes_before_close:
        return _close(v, f"flat by the close ({v.minutes_to_close:.0f} min left)", "exits.flat_by_close")
    return None


def evaluate_stock_exit(v: StockView) -> Decision[ExitSignal]:
    """The first of the position's stock rules that decides, else hold."""
    for name in select_rules(v.cfg.rule_sets, STOCK, v.style):
        decided = REGISTRY.stock(name)(v)
        if decided is not None:
            return decided
    return Decision.yes(ExitSignal(ExitAction.HOLD, 0), f"hold: stock {v.move:+.2%}", "exits.hold")
