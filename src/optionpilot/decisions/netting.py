"""Brokers keep one net quantity per instrument and account: a position cannot hold the other side of one.

A strategy long a contract that another position holds short would be netted away at the broker: its
closing order would be refused (the account is net short) and at expiry nothing of it would settle. So an
entry whose leg opposes what the account holds, or is entering, is refused, whichever flow proposed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from optionpilot.domain.recommendations import Decision


def opposite_side(held: Mapping[str, int], legs: Iterable[tuple[str, int]]) -> Decision[str]:
    """`held`: signed quantity (or side) per instrument key; `legs`: (key, +1 buy / -1 sell) of the entry."""
    for key, sign in legs:
        have = held.get(key, 0)
        if have and (have > 0) != (sign > 0):
            side = "long" if have > 0 else "short"
            return Decision.no(
                f"{key} is held {side} by another position; the broker nets one instrument per account, "
                "so the opposite side cannot be held apart",
                "dispatch.netting",
            )
    return Decision.yes("clear", "no leg opposes what the account holds", "dispatch.netting_clear")
