"""Executed defensive rolls of multi-leg positions: planned on the chain, sent as one order, then settled.

A roll changes which contracts make the strategy, so once its order is done (`settle_roll`, at the next
look with no order working) the position's entry shape (`meta["legs"]`), its unit leg and its max profit
and max loss per unit follow the new legs: the new side's credit at its fills replaces the old side's at
its entry. An order that filled nothing leaves the position as it was; one that filled in part leaves legs
the shape check calls broken, and the desk closes them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.decisions.exits import MultiLegExitConfig
from optionpilot.decisions.exits.rolls import DefensiveRoll, HeldOption, plan_defensive_roll
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.positions import Position
from optionpilot.domain.recommendations import Decision
from optionpilot.engine.marks import units_of
from optionpilot.ports.market_data import MarketData

ROLL_MAP = "roll_map"  # meta: "old=new;..." of a roll sent and not settled yet
ROLL_OLD_CREDIT = "roll_old_credit"  # meta: credit per unit of the legs the roll closes, at their entry


def plan_roll(
    market: MarketData, now: datetime, p: Position, config: MultiLegExitConfig
) -> Decision[DefensiveRoll]:
    held = [
        HeldOption(leg.instrument, leg.quantity)
        for leg in p.legs.values()
        if leg.quantity and isinstance(leg.instrument, OptionContract)
    ]
    try:
        spot = market.spot(p.underlying)
        chain = market.chain(p.underlying, min_dte=0, max_dte=config.roll_max_dte)
    except (DataError, LookAheadError) as exc:
        return Decision.no(f"no chain to roll on: {exc}", "multileg_roll.chain")
    return plan_defensive_roll(held, chain, spot, config)


def _credit_per_unit(p: Position, keys: list[str], units: int) -> Decimal:
    """Premium received (+) per unit for the legs `keys`, at their average prices."""
    total = Decimal(0)
    for key in keys:
        leg = p.legs[key]
        total -= leg.quantity * leg.avg_price * leg.multiplier
    return total / units


def remember_roll(p: Position, roll: DefensiveRoll) -> None:
    units = max(units_of(p), 1)
    p.meta[ROLL_MAP] = ";".join(
        f"{a.contract.key}={b.contract.key}" for a, b in zip(roll.close, roll.open, strict=True)
    )
    p.meta[ROLL_OLD_CREDIT] = str(_credit_per_unit(p, [h.contract.key for h in roll.close], units))


def settle_roll(p: Position) -> str | None:
    """Apply a finished roll to the position's meta; what was done, or None when no roll was pending."""
    text = p.meta.pop(ROLL_MAP, None)
    old_credit = Decimal(p.meta.pop(ROLL_OLD_CREDIT, "0"))
    if text is None:
        return None
    pairs = [(old, new) for old, _, new in (part.partition("=") for part in text.split(";"))]
    qty = {k: leg.quantity for k, leg in p.legs.items()}
    done = all(qty.get(old, 0) == 0 and qty.get(new, 0) != 0 for old, new in pairs)
    if not done:
        return "roll not filled (or in part): the legs are left as they are"
    units = max(units_of(p), 1)
    new_credit = _credit_per_unit(p, [new for _, new in pairs], units)
    change = new_credit - old_credit
    moved = dict(pairs)
    shape = p.meta.get("legs", "")
    if shape:
        parts = [part.rpartition("=") for part in shape.split(";")]
        p.meta["legs"] = ";".join(f"{moved.get(k, k)}={q}" for k, _, q in parts)
    unit_leg = p.meta.get("unit_leg", "")
    p.meta["unit_leg"] = moved.get(unit_leg, unit_leg)
    if p.meta.get("max_profit_unit"):
        p.meta["max_profit_unit"] = str(Decimal(p.meta["max_profit_unit"]) + change)
    if p.meta.get("max_loss_unit"):
        p.meta["max_loss_unit"] = str(Decimal(p.meta["max_loss_unit"]) - change)
    p.meta["rolls"] = str(int(p.meta.get("rolls", "0")) + 1)
    return f"rolled: {text}; credit per unit {old_credit:+.2f} -> {new_credit:+.2f}"
