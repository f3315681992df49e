"""Checks on what a backtest entered, for the acceptance tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from optionpilot.decisions.exits import MultiLegExitConfig
from optionpilot.decisions.strategies.catalog import PROFILES, StrategyType
from optionpilot.domain.instruments import OptionContract
from optionpilot.engine.account import AccountRuntime


def entries_inside_the_time_exit(
    accounts: Sequence[AccountRuntime], zone: tzinfo, exits: MultiLegExitConfig | None = None
) -> tuple[int, list[str]]:
    """(entries filled, those filled with their nearest expiry inside the time exit: 21 DTE for premium
    sellers, 7 for the rest). Such a position would be closed at its first look; none should exist."""
    cfg = exits or MultiLegExitConfig()
    filled, bad = 0, []
    for account in accounts:
        positions = account.book.positions
        for order in account.orders.orders.values():
            p = positions.get(order.position_id) if order.position_id else None
            if order.purpose != "entry" or not order.filled_quantity or p is None or order.updated_at is None:
                continue
            expiries = [
                i.expiry for i in (leg.instrument for leg in p.legs.values()) if isinstance(i, OptionContract)
            ]
            if not expiries:
                continue
            filled += 1
            short = PROFILES[StrategyType(p.strategy_type)].collects_premium
            limit = cfg.dte_exit_short_premium if short else cfg.dte_exit_other
            dte = (min(expiries) - order.updated_at.astimezone(zone).date()).days
            if dte <= limit:
                bad.append(f"{p.position_id} {p.strategy_type}: {dte} DTE when filled, time exit {limit}")
    return filled, bad
