"""Execution prices and sizes of an order against the quotes that follow it: pure functions.

Marketable legs buy at the ask and sell at the bid, each moved against us by the slippage (whole
ticks: a fixed number plus a fraction of the spread, rounded up). A limit is on the net of the
legs per unit (positive a debit paid, negative a credit received): the order fills when the net at
the quotes crosses it, at the better of the limit and the net with slippage. When slippage would
carry the net past the limit, slippage is given back tick by tick, leg by leg, so every leg price
stays on its tick and the net never passes the limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from optionpilot.core.money import ZERO
from optionpilot.domain.market import Quote
from optionpilot.domain.orders import Side


@dataclass(frozen=True, slots=True)
class LegMarket:
    """One leg of an order and the quote it trades against."""

    side: Side
    ratio: int
    quote: Quote
    tick: Decimal
    slip_ticks: int = 0

    @property
    def touch(self) -> Decimal:
        return self.quote.ask if self.side is Side.BUY else self.quote.bid

    @property
    def displayed(self) -> int:
        return self.quote.ask_size if self.side is Side.BUY else self.quote.bid_size

    def price(self, slip_ticks: int) -> Decimal:
        if self.side is Side.BUY:
            return self.quote.ask + slip_ticks * self.tick
        # A sell never goes below one tick (or the bid itself when that is lower).
        return max(self.quote.bid - slip_ticks * self.tick, min(self.quote.bid, self.tick))


def slippage_ticks(quote: Quote, tick: Decimal, ticks: int, spread_fraction: Decimal) -> int:
    """Adverse slippage in whole ticks: `ticks` plus `spread_fraction` of the spread, rounded up."""
    if tick <= 0:
        raise ValueError(f"tick {tick} must be positive")
    extra = 0
    if spread_fraction > 0 and quote.spread > 0:
        extra = math.ceil(spread_fraction * quote.spread / tick)
    return ticks + extra


def net_price(legs: Sequence[LegMarket], prices: Sequence[Decimal]) -> Decimal:
    """Net per unit: + paid, - received."""
    return sum((leg.side.sign * leg.ratio * p for leg, p in zip(legs, prices, strict=True)), start=ZERO)


def combo_prices(legs: Sequence[LegMarket], limit: Decimal | None) -> tuple[Decimal, ...] | None:
    """Per-leg fill prices, or None when a limit is not crossed by the quotes' net."""
    if limit is not None and net_price(legs, [leg.touch for leg in legs]) > limit:
        return None
    slips = [leg.slip_ticks for leg in legs]
    prices = [leg.price(s) for leg, s in zip(legs, slips, strict=True)]
    if limit is None:
        return tuple(prices)
    excess = net_price(legs, prices) - limit
    for i, leg in enumerate(legs):
        while excess > 0 and slips[i] > 0:
            step = max(1, min(slips[i], math.ceil(excess / (leg.ratio * leg.tick))))
            slips[i] -= step
            prices[i] = leg.price(slips[i])
            excess = net_price(legs, prices) - limit
        if excess <= 0:
            break
    return tuple(prices)


def fillable_units(legs: Sequence[LegMarket], consumed: Sequence[int], remaining: int) -> int:
    """Whole units the displayed sizes allow, after what earlier orders took from the same quotes."""
    units = remaining
    for leg, used in zip(legs, consumed, strict=True):
        units = min(units, max(leg.displayed - used, 0) // leg.ratio)
    return units
