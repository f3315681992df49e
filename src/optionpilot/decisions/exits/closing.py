"""Closing a multi-leg position whose legs may be unquoted, and telling a position that is broken."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from optionpilot.domain.recommendations import Decision


@dataclass(frozen=True, slots=True)
class LegState:
    """One open leg as the close planner sees it."""

    key: str
    quantity: int  # signed: + long, - short
    quoted: bool  # tradeable now (an option with a two-sided quote, or shares with a price)


@dataclass(frozen=True, slots=True)
class ClosePlan:
    close: tuple[str, ...]  # keys of the legs to close now
    wait: tuple[str, ...]  # keys left open until they are quoted or settle at expiry


def plan_close(legs: Sequence[LegState]) -> Decision[ClosePlan]:
    """Which legs of a position to close now.

    Every leg quoted: all of them. Otherwise shorts that are quoted are bought back (that only lowers the
    risk), and longs are sold only when no short stays open, because a long is the cover of the shorts
    left (a spread's wing must never be sold while its short waits). What is left waits: the desk asks
    again at every look, and the broker settles it at expiry, so no position is left without a rule
    that ends it. `no` when nothing can be closed now, with the reason.
    """
    open_legs = [leg for leg in legs if leg.quantity != 0]
    if not open_legs:
        return Decision.no("no open leg", "multileg_close.flat")
    unquoted = [leg.key for leg in open_legs if not leg.quoted]
    if not unquoted:
        return Decision.yes(
            ClosePlan(tuple(leg.key for leg in open_legs), ()), "every leg is quoted", "multileg_close.all"
        )
    shorts_left = any(leg.quantity < 0 and not leg.quoted for leg in open_legs)
    close = tuple(leg.key for leg in open_legs if leg.quoted and (leg.quantity < 0 or not shorts_left))
    wait = tuple(leg.key for leg in open_legs if leg.key not in close)
    missing = ", ".join(unquoted)
    if not close:
        kept = " (the quoted longs cover the unquoted shorts)" if len(wait) > len(unquoted) else ""
        return Decision.no(
            f"waiting: no quote for {missing}{kept}; asked again at every look, settled at expiry",
            "multileg_close.wait",
        )
    why = f"no quote for {missing}: closing {', '.join(close)} now"
    if len(wait) > len(unquoted):
        why += "; longs kept as cover of the unquoted shorts"
    return Decision.yes(ClosePlan(close, wait), why + "; the rest waits", "multileg_close.partial")


def shape_problem(entry: Mapping[str, int], held: Mapping[str, int], stock_keys: Iterable[str]) -> str | None:
    """Why the legs held no longer form the strategy entered (None when they still do).

    `entry` is each leg's signed quantity per unit at entry, `held` the signed quantities now (zeros
    left out). A strategy breaks when shares arrive by exercise or assignment, when a leg is gone (settled
    at expiry, or never filled by a legged entry that was unwound) or when legs are out of proportion.
    """
    stocks = set(stock_keys)
    extra = sorted(k for k in held if k not in entry)
    delivered = [k for k in extra if k in stocks]
    if delivered:
        shares = ", ".join(f"{held[k]:+d} {k}" for k in delivered)
        return f"shares delivered at expiry ({shares}) are not a strategy"
    if extra:
        return f"legs {', '.join(extra)} are not part of the strategy"
    gone = sorted(k for k in entry if k not in held)
    if gone and held:
        return f"legs {', '.join(gone)} are gone (settled at expiry, or never filled): the strategy is broken"
    units = {held[k] / entry[k] for k in held if entry.get(k)}
    if len(units) > 1 or any(u <= 0 for u in units):
        return "legs are out of proportion (a legged order part-filled): the strategy is broken"
    return None
