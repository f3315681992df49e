"""The one roll path of both flows: one order that closes the old legs and opens the new, with its event."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from optionpilot.domain.instruments import Instrument
from optionpilot.domain.orders import Order, OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind
from optionpilot.domain.recommendations import PositionEvent
from optionpilot.engine.account import AccountRuntime


def roll_legs(
    close: Sequence[tuple[Instrument, int]], open_: Sequence[tuple[Instrument, int]]
) -> tuple[list[OrderLeg], int]:
    """Order legs in lowest terms and the number of units; quantities are signed holdings (+ long)."""
    g = math.gcd(*(abs(q) for _, q in (*close, *open_)))
    legs = [
        OrderLeg(inst, Side.SELL if q > 0 else Side.BUY, abs(q) // g, PositionEffect.CLOSE)
        for inst, q in close
    ]
    legs += [
        OrderLeg(inst, Side.BUY if q > 0 else Side.SELL, abs(q) // g, PositionEffect.OPEN)
        for inst, q in open_
    ]
    return legs, g


def send_roll(
    account: AccountRuntime,
    position: Position,
    close: Sequence[tuple[Instrument, int]],
    open_: Sequence[tuple[Instrument, int]],
    text: str,
    now: datetime,
) -> Order:
    """Close `close` and open `open_` (signed holdings) as ONE market order, purpose "roll"."""
    legs, units = roll_legs(close, open_)
    account.orders.journal.current.position_events.append(
        PositionEvent(
            now, position.position_id, account.account_id, PositionEventKind.ROLL_SIGNAL, text, units
        )
    )
    return account.orders.place(
        legs,
        units,
        position_id=position.position_id,
        purpose="roll",
        reason=text,
        order_type=OrderType.MARKET,
    )
