"""What an order does to the simulated account's buying power: margin before and after, premium, fees.

Buying power is cash less the margin of what is held less what working orders hold back; the broker
keeps those two. This module holds the rest: the margin of the holdings as they are and as an order
would leave them, at the broker's marks and spots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from optionpilot.adapters.sim.broker_prices import BrokerPrices
from optionpilot.adapters.sim.fees import FeeSchedule, fill_fee
from optionpilot.adapters.sim.margin import Holding, Margin, MarginConfig, assess
from optionpilot.core.money import ZERO
from optionpilot.domain.instruments import Instrument, OptionContract
from optionpilot.domain.orders import Order
from optionpilot.domain.positions import PositionLeg


def premium(order: Order, units: int, prices: Sequence[Decimal]) -> Decimal:
    """Net premium paid (+) or received (-) for `units` of the order at per-leg prices."""
    return sum(
        (
            leg.side.sign * p * leg.ratio * units * leg.instrument.multiplier
            for leg, p in zip(order.legs, prices, strict=True)
        ),
        start=ZERO,
    )


class AccountRisk:
    """The margin of one account's positions (the broker's own dict, read as it changes)."""

    def __init__(
        self,
        positions: Mapping[str, PositionLeg],
        prices: BrokerPrices,
        fees: FeeSchedule,
        margin: MarginConfig,
    ) -> None:
        self._positions = positions
        self._prices = prices
        self._fees = fees
        self._margin_config = margin

    def holdings(self, deltas: Mapping[str, tuple[Instrument, int]]) -> list[Holding]:
        qty = {key: (p.instrument, p.quantity) for key, p in self._positions.items()}
        for key, (inst, d) in deltas.items():
            held = qty.get(key)
            qty[key] = (inst, (held[1] if held else 0) + d)
        return [Holding(inst, n, self._prices.mark(inst)) for inst, n in qty.values() if n != 0]

    def margin(self, holdings: list[Holding]) -> Margin:
        unders = {h.instrument.underlying for h in holdings if isinstance(h.instrument, OptionContract)}
        return assess(holdings, {u: self._prices.spot(u) for u in sorted(unders)}, self._margin_config)

    def impact(
        self, order: Order, units: int, prices: Sequence[Decimal], *, first_fill: bool
    ) -> tuple[Decimal, Margin, Margin]:
        """Buying power `units` of the order use at these prices: margin change, premium, fees."""
        deltas = {
            leg.instrument.key: (leg.instrument, leg.side.sign * leg.ratio * units) for leg in order.legs
        }
        margin_now = self.margin(self.holdings({}))
        margin_after = self.margin(self.holdings(deltas))
        fees = sum(
            (
                fill_fee(
                    self._fees,
                    leg.instrument,
                    leg.side,
                    leg.ratio * units,
                    p,
                    first_fill_of_order=first_fill and i == 0,
                )
                for i, (leg, p) in enumerate(zip(order.legs, prices, strict=True))
            ),
            start=ZERO,
        )
        need = margin_after.total - margin_now.total + premium(order, units, prices) + fees
        return need, margin_after, margin_now
