"""Rolls (seed 003): bank a winning long by rolling its strike up; roll a threatened short out and away.

The single-leg flow rolls a winning long to the next strike out of the money, same expiry (`propose_roll`
says when). The multi-leg flow, when `rolls` is on, executes seed 004's defensive ADJUST: the threatened
short (the one nearest to, or through, spot) and its wing if it is a spread are closed, and the same
structure is opened at the next listed expiry with the short at least `roll_otm_pct` out of the money and
the wing at the same width (`plan_defensive_roll`). Both choose contracts with `nearest_quoted`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from optionpilot.decisions.exits.actions import ExitAction, ExitSignal, Urgency
from optionpilot.decisions.exits.config import ExitConfig, MultiLegExitConfig
from optionpilot.decisions.exits.single_leg import PositionView, validate_view
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.recommendations import Decision


def propose_roll(v: PositionView, config: ExitConfig | None = None) -> Decision[ExitSignal]:
    """Seed 003's rolls: bank a winning long by rolling it up; roll a short at 21 DTE if still at risk.

    A ROLL of the whole position; the rule says which: `exits.roll_up` (a winning long to a further
    strike) or `exits.roll_out` (a short to a later expiry)."""
    cfg = config or ExitConfig()
    validate_view(v)
    if v.option_price is None or v.option_price <= 0:
        return Decision.no("no option quote to judge a roll", "exits.roll_no_quote")
    pnl = v.option_price / v.entry_price - 1
    if v.is_long:
        if pnl >= cfg.roll_long_gain:
            direction = "up" if v.is_call else "down"
            return Decision.yes(
                ExitSignal(ExitAction.ROLL, v.quantity),
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
            ExitSignal(ExitAction.ROLL, v.quantity, Urgency.MEDIUM),
            f"short at {v.dte} DTE and losing ({v.option_price} vs credit {v.entry_price}): roll out",
            "exits.roll_out",
        )
    return Decision.no(f"short at {v.dte} DTE, not at risk or not yet due", "exits.roll_none")


def nearest_quoted(
    chain: ChainSnapshot, *, is_call: bool, expiry: date, bound: float, anchor: float, inclusive: bool = False
) -> int | None:
    """The quoted row of this right and expiry beyond `bound` (above for a call, below for a put; `bound`
    itself when inclusive) whose strike is nearest `anchor`; None when there is none."""
    if len(chain) == 0:
        return None
    if is_call:
        beyond = chain.strike >= bound if inclusive else chain.strike > bound
    else:
        beyond = chain.strike <= bound if inclusive else chain.strike < bound
    quoted = (chain.bid > 0) & (chain.ask >= chain.bid)
    same = (chain.expiry == np.datetime64(expiry, "D")) & (chain.is_call == is_call)
    rows = np.flatnonzero(same & beyond & quoted)
    if rows.size == 0:
        return None
    return int(rows[np.argmin(np.abs(chain.strike[rows] - anchor))])


@dataclass(frozen=True, slots=True)
class HeldOption:
    contract: OptionContract
    quantity: int  # signed: + long, - short


@dataclass(frozen=True, slots=True)
class DefensiveRoll:
    close: tuple[HeldOption, ...]  # held now, closed by the roll
    open: tuple[HeldOption, ...]  # opened by the roll, same signed quantities
    credit: float  # per share of one unit: + received for the new side, at its bid/ask now
    cost: float  # per share of one unit: + paid to close the old side, at its bid/ask now


def _gap(leg: HeldOption, spot: float) -> float:
    strike = float(leg.contract.strike)
    return (strike - spot) / spot if leg.contract.is_call else (spot - strike) / spot


def plan_defensive_roll(
    held: Sequence[HeldOption], chain: ChainSnapshot, spot: float, config: MultiLegExitConfig | None = None
) -> Decision[DefensiveRoll]:
    """The roll of the threatened short out to the next expiry and away from spot, with its wing."""
    cfg = config or MultiLegExitConfig()
    if not math.isfinite(spot) or spot <= 0:
        return Decision.no(f"no spot to roll against ({spot})", "multileg_roll.spot")
    shorts = [leg for leg in held if leg.quantity < 0]
    if not shorts:
        return Decision.no("no short option to roll", "multileg_roll.no_short")
    short = min(shorts, key=lambda leg: _gap(leg, spot))
    sc = short.contract
    k = float(sc.strike)
    wings = [
        leg
        for leg in held
        if leg.quantity == -short.quantity
        and leg.contract.is_call == sc.is_call
        and leg.contract.expiry == sc.expiry
        and (float(leg.contract.strike) > k if sc.is_call else float(leg.contract.strike) < k)
    ]
    wing = min(wings, key=lambda leg: abs(float(leg.contract.strike) - k)) if wings else None
    later = sorted(d for d in chain.expiries() if d > sc.expiry)
    if not later:
        return Decision.no(f"no expiry listed after {sc.expiry} to roll {sc.key} to", "multileg_roll.expiry")
    target = spot * (1 + cfg.roll_otm_pct) if sc.is_call else spot * (1 - cfg.roll_otm_pct)
    bound = max(target, k) if sc.is_call else min(target, k)
    for expiry in later:
        i = nearest_quoted(
            chain, is_call=sc.is_call, expiry=expiry, bound=bound, anchor=bound, inclusive=True
        )
        if i is None:
            continue
        new_short = chain.contract(i)
        opened = [HeldOption(new_short, short.quantity)]
        credit = float(chain.bid[i])
        cost = _ask(chain, sc) or 0.0
        if wing is not None:
            width = abs(float(wing.contract.strike) - k)
            ns = float(new_short.strike)
            anchor = ns + width if sc.is_call else ns - width
            j = nearest_quoted(chain, is_call=sc.is_call, expiry=expiry, bound=ns, anchor=anchor)
            if j is None:
                continue
            opened.append(HeldOption(chain.contract(j), wing.quantity))
            credit -= float(chain.ask[j])
            cost -= _bid(chain, wing.contract) or 0.0
        closed = (short,) if wing is None else (short, wing)
        moved = " and ".join(
            f"{a.contract.key} -> {b.contract.key}" for a, b in zip(closed, opened, strict=True)
        )
        return Decision.yes(
            DefensiveRoll(closed, tuple(opened), credit, cost),
            f"defensive roll: {sc.key} is {_gap(short, spot):+.1%} from spot {spot:.2f}; {moved} "
            f"(new short {cfg.roll_otm_pct:.0%}+ out of the money); close {cost:.2f}, open {credit:+.2f}",
            "multileg_roll.defensive",
        )
    right = "call" if sc.is_call else "put"
    return Decision.no(
        f"no quoted {right} beyond {bound:.2f} in a later expiry to roll {sc.key} to",
        "multileg_roll.strike",
    )


def _ask(chain: ChainSnapshot, contract: OptionContract) -> float | None:
    i = chain.find(contract)
    return None if i is None else float(chain.ask[i])


def _bid(chain: ChainSnapshot, contract: OptionContract) -> float | None:
    i = chain.find(contract)
    return None if i is None else float(chain.bid[i])
