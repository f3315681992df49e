"""The one marker of both flows: option quotes (mid), stock prices, last good marks, Greeks, exit inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from optionpilot.core.money import ZERO, to_decimal
from optionpilot.decisions.exits import ExitInputs
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.positions import Position
from optionpilot.engine.marks.greeks import PortfolioGreeks, portfolio_greeks
from optionpilot.engine.marks.legs import leg_exit_inputs, two_sided
from optionpilot.ports.market_data import MarketData


class Marker:
    """Marks positions from the market; remembers the last good mark so a missing quote keeps its value."""

    def __init__(self, market: MarketData) -> None:
        self.market = market
        self.last_mark: dict[str, Decimal] = {}

    def option_mark(self, contract: OptionContract) -> Decimal | None:
        """The option's mid when it has a two-sided quote; None otherwise."""
        quote = self.market.quote(contract)
        if quote is None or not two_sided(quote):
            return None
        mid = quote.mid
        self.last_mark[contract.key] = mid
        return mid

    def marks(self, positions: list[Position]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for position in positions:
            for key, leg in position.legs.items():
                if leg.quantity == 0 or key in out:
                    continue
                inst = leg.instrument
                if isinstance(inst, OptionContract):
                    mark = self.option_mark(inst)
                    out[key] = mark if mark is not None else self.last_mark.get(key, leg.avg_price)
                else:
                    out[key] = to_decimal(round(self.market.spot(inst.symbol), 4))
        return out

    def greeks(self, positions: list[Position], marks: dict[str, Decimal], now: datetime) -> PortfolioGreeks:
        return portfolio_greeks(self.market, positions, marks, now)

    def exit_inputs(self, positions: Sequence[Position], today: date) -> ExitInputs:
        """The multi-leg exit rules' arrays for `positions`, every leg marked in one pass (see `legs`)."""
        return leg_exit_inputs(self.market, self.last_mark, positions, today)


def exposure(positions: list[Position], marks: dict[str, Decimal]) -> Decimal:
    """Gross market value of open option legs."""
    total = ZERO
    for position in positions:
        for key, leg in position.legs.items():
            if leg.quantity and isinstance(leg.instrument, OptionContract):
                total += abs(marks.get(key, leg.avg_price) * leg.quantity * leg.multiplier)
    return total
