"""Open orders per account and the order-rate throttle: they hold back entries only, never a close."""

from __future__ import annotations

from optionpilot.decisions.pretrade.config import PreTradeConfig
from optionpilot.domain.recommendations import Decision


def check_open_orders(working: int, cfg: PreTradeConfig) -> Decision[int]:
    """`working`: the account's orders still working, the new one not counted."""
    if working >= cfg.max_open_orders:
        return Decision.no(
            f"{working} orders already working, the limit is {cfg.max_open_orders}: no new entry until "
            "some fill or are canceled",
            "risk.open_orders",
            working=working,
        )
    return Decision.yes(cfg.max_open_orders - working, f"{working} orders working", "risk.open_orders_ok")


def check_order_rate(sent_last_minute: int, cfg: PreTradeConfig) -> Decision[int]:
    """`sent_last_minute`: orders the account sent in the minute up to now (a rolling window)."""
    if sent_last_minute >= cfg.max_orders_per_minute:
        return Decision.no(
            f"{sent_last_minute} orders sent in the last minute, the limit is {cfg.max_orders_per_minute} "
            "a minute: entry throttled",
            "risk.order_rate",
            sent=sent_last_minute,
        )
    left = cfg.max_orders_per_minute - sent_last_minute
    return Decision.yes(left, f"{sent_last_minute} orders in the last minute", "risk.order_rate_ok")
