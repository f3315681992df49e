"""Seed 004's absolute stop per position ("absolute value stops, e.g. a ₹5,000 loss"), for every kind of
position: out at once when one position has lost more than an amount in the account's currency.

The amount is `strategy.risk.position_stop_pct` of the account's equity at the session's open (so a
$1,000 and a $121,000 account both get a stop that means something), capped by `position_stop_amount`
when set. The engine works the limit out per account and hands it to each look; these rules only compare.
The multi-leg family's rule is `multileg_exit.absolute_stop` (in `multi_leg`, where its code lives).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from optionpilot.decisions.exits.actions import ExitAction, ExitSignal, Urgency
from optionpilot.decisions.exits.registry import REGISTRY
from optionpilot.decisions.exits.single_leg import close_all
from optionpilot.domain.recommendations import Decision

if TYPE_CHECKING:
    from optionpilot.decisions.exits.single_leg import SingleLegLook
    from optionpilot.decisions.exits.stock import StockView


def position_loss_limit(equity: Decimal, pct: Decimal | None, amount: Decimal | None) -> Decimal | None:
    """The most one position may lose: `pct` of `equity`, at most `amount`; None when both are off."""
    limits = [
        x for x in (pct * max(equity, Decimal(0)) if pct is not None else None, amount) if x is not None
    ]
    return min(limits) if limits else None


def _said(loss: float, limit: float) -> str:
    return f"absolute stop: the position has lost {loss:,.2f}, the limit per position is {limit:,.2f}"


@REGISTRY.single_leg("exits.absolute_stop")
def absolute_stop(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v = look.v
    if v.loss_limit is None or look.price is None:
        return None  # no limit, or no price of its own to measure the loss on
    loss = float((v.entry_price - look.price) * v.quantity * v.multiplier)
    if loss >= v.loss_limit:
        return close_all(look, _said(loss, v.loss_limit), "exits.absolute_stop")
    return None


@REGISTRY.stock_rule("exits.stock_absolute_stop")
def stock_absolute_stop(v: StockView) -> Decision[ExitSignal] | None:
    if v.loss_limit is None:
        return None
    loss = (v.entry - v.spot) * v.quantity
    if loss >= v.loss_limit:
        signal = ExitSignal(ExitAction.CLOSE, abs(v.quantity), Urgency.HIGH)
        return Decision.yes(signal, _said(loss, v.loss_limit), "exits.stock_absolute_stop")
    return None
