"""Buying power: cash less what open orders reserve and what short options need as collateral.

Collateral per underlying is the worst loss of its option positions at expiry (payoff is piecewise
linear in the price, so its minimum is at 0, a strike, or far above the top strike, where an uncovered
short call keeps losing). An order needs the collateral it adds plus the premium it pays: a long
option its debit, a short put its strike less the credit, a credit spread its width less the credit,
and a closing order nothing beyond a debit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from optionpilot.adapters.alpaca_stub.state import Book, Leg, Order
from optionpilot.core.money import ZERO
from optionpilot.domain.instruments import OptionContract

# (contract, signed quantity) of option holdings or of an order's legs
Holding = tuple[OptionContract, int]


def _payoff(holdings: Iterable[Holding], price: Decimal) -> Decimal:
    total = ZERO
    for c, qty in holdings:
        total += qty * c.intrinsic(price) * c.multiplier
    return total


def collateral(holdings: Iterable[Holding]) -> Decimal:
    by_underlying: dict[str, list[Holding]] = defaultdict(list)
    for c, qty in holdings:
        if qty:
            by_underlying[c.underlying].append((c, qty))
    need = ZERO
    for group in by_underlying.values():
        strikes = sorted({c.strike for c, _ in group})
        points = [ZERO, *strikes, strikes[-1] * 2]
        worst = min(_payoff(group, p) for p in points)
        need += max(-worst, ZERO)
    return need


def position_holdings(book: Book) -> list[Holding]:
    return [(p.contract, p.qty) for p in book.positions.values() if p.contract is not None]


def order_requirement(book: Book, legs: list[Leg], units: int, net: Decimal) -> Decimal:
    """What `units` of an order with these legs needs, at `net` per unit (+ paid, - received)."""
    held = position_holdings(book)
    added = [(leg.contract, leg.sign * leg.ratio * units) for leg in legs if leg.contract is not None]
    multiplier = max(leg.multiplier for leg in legs)
    extra = collateral([*held, *added]) - collateral(held)
    return max(extra + net * multiplier * units, ZERO)


def buying_power(book: Book, net_of: Callable[[Order], Decimal]) -> Decimal:
    """Cash less collateral and less what open orders reserve (`net_of`: an order's net per unit)."""
    reserved = ZERO
    for order in book.open_orders():
        reserved += order_requirement(book, order.legs, order.remaining, net_of(order))
    return book.cash - collateral(position_holdings(book)) - reserved
