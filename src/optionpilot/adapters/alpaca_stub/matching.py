"""Fills of the stub's open orders against the simulator's quotes, one step of the clock at a time.

Marketable legs buy at the ask and sell at the bid; a limit fills when the quotes' net crosses it,
at the better price (the simulated broker's `matching`, without slippage: Alpaca's paper fills at the
touch). What one minute's displayed sizes allow is shared by all orders in that minute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from optionpilot.adapters.alpaca_stub.state import Leg, Order
from optionpilot.adapters.sim.matching import LegMarket, combo_prices, fillable_units
from optionpilot.domain.market import Quote
from optionpilot.domain.orders import Side

QUOTE_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Match:
    units: int
    prices: tuple[Decimal, ...]


@dataclass
class DisplayedSizes:
    """Contracts or shares taken from each quote side in the current minute."""

    minute: int = -1
    taken: dict[tuple[str, str], int] = field(default_factory=dict)

    def at(self, now: datetime) -> DisplayedSizes:
        minute = int(now.timestamp() // 60)
        if minute != self.minute:
            self.minute, self.taken = minute, {}
        return self

    def used(self, leg: Leg) -> int:
        return self.taken.get((leg.symbol, leg.side), 0)

    def take(self, leg: Leg, qty: int) -> None:
        self.taken[(leg.symbol, leg.side)] = self.used(leg) + qty


def match_order(
    order: Order,
    quote_of: Callable[[Leg], Quote | None],
    tick_of: Callable[[Leg], Decimal],
    sizes: DisplayedSizes,
    now: datetime,
) -> Match | None:
    markets: list[LegMarket] = []
    for leg in order.legs:
        quote = quote_of(leg)
        if quote is None or not tradeable(leg, quote, now):
            return None
        markets.append(LegMarket(Side(leg.side), leg.ratio, quote, tick_of(leg)))
    prices = combo_prices(markets, order.net_limit)
    if prices is None:
        return None
    units = fillable_units(markets, [sizes.used(leg) for leg in order.legs], order.remaining)
    if units <= 0:
        return None
    return Match(units, prices)


def tradeable(leg: Leg, quote: Quote, now: datetime) -> bool:
    """A leg trades against its own side of a fresh quote; a far wing with no bid can still be bought."""
    if now - quote.ts > QUOTE_MAX_AGE or (quote.bid > 0 and quote.ask > 0 and quote.bid > quote.ask):
        return False
    if leg.side == "buy":
        return quote.ask > 0 and quote.ask_size > 0
    return quote.bid > 0 and quote.bid_size > 0


def touch_net(order_legs: list[Leg], quote_of: Callable[[Leg], Quote | None]) -> Decimal | None:
    """The net per unit at the quotes now (+ paid), or None when a leg has no two-sided quote."""
    net = Decimal(0)
    for leg in order_legs:
        q = quote_of(leg)
        if q is None or (q.ask if leg.side == "buy" else q.bid) <= 0:
            return None
        net += leg.sign * leg.ratio * (q.ask if leg.side == "buy" else q.bid)
    return net
