"""Order and position notional caps (entries only: a close makes a position smaller, never larger)."""

from __future__ import annotations

from decimal import Decimal

from optionpilot.core.money import cents
from optionpilot.decisions.pretrade.config import PreTradeConfig
from optionpilot.domain.recommendations import Decision


def order_notional_limit(equity: Decimal, cfg: PreTradeConfig) -> Decimal:
    """The largest order: a share of equity, and never above the fixed amount when one is set."""
    limit = max(equity, Decimal(0)) * cfg.max_order_notional_pct
    return limit if cfg.max_order_notional is None else min(limit, cfg.max_order_notional)


def check_order_notional(notional: Decimal, equity: Decimal, cfg: PreTradeConfig) -> Decision[Decimal]:
    """One order's value (its price times quantity times multiplier) against the cap; yes with the room."""
    limit = order_notional_limit(equity, cfg)
    if notional > limit:
        return Decision.no(
            f"order worth {cents(notional)} is over the {cents(limit)} order limit "
            f"({cfg.max_order_notional_pct:.0%} of equity {cents(equity)}"
            + (f", at most {cents(cfg.max_order_notional)}" if cfg.max_order_notional is not None else "")
            + ")",
            "risk.order_notional",
            notional=float(notional),
            limit=float(limit),
        )
    return Decision.yes(limit - notional, f"order {cents(notional)} within {cents(limit)}", "risk.order_ok")


def check_position_notional(
    held: Decimal, notional: Decimal, equity: Decimal, cfg: PreTradeConfig
) -> Decision[Decimal]:
    """A position's value after the order (what it holds plus the order) against the cap."""
    limit = max(equity, Decimal(0)) * cfg.max_position_notional_pct
    after = held + notional
    if after > limit:
        return Decision.no(
            f"the position would hold {cents(after)} ({cents(held)} held + {cents(notional)}), over "
            f"{cfg.max_position_notional_pct:.0%} of equity ({cents(limit)})",
            "risk.position_notional",
            notional=float(after),
            limit=float(limit),
        )
    return Decision.yes(limit - after, f"position {cents(after)} within {cents(limit)}", "risk.position_ok")
