"""Admission of an order the simulated broker was sent: what the market or the account refuses.

These refusals come back as a REJECTED update with the reason (the order reached the broker): the
market closed (and no queueing), an expired or unquoted instrument, a close of more than is held,
uncovered short calls where they are not allowed, or not enough buying power. An order admitted
holds buying power while it works: its estimated cost, or for a limit its limit's premium, and for a
market order a reserve on top.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.adapters.sim.broker_prices import BrokerPrices
from optionpilot.adapters.sim.buying_power import AccountRisk, premium
from optionpilot.adapters.sim.hours import BrokerHours
from optionpilot.adapters.sim.margin import Margin
from optionpilot.core.calendars import TradingCalendar
from optionpilot.core.money import ZERO
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.market import Quote
from optionpilot.domain.orders import Order, OrderType, PositionEffect, Side
from optionpilot.domain.positions import PositionLeg


class Admission:
    def __init__(
        self,
        calendar: TradingCalendar,
        hours: BrokerHours,
        prices: BrokerPrices,
        risk: AccountRisk,
        positions: Mapping[str, PositionLeg],
        config: SimBrokerConfig,
        currency: str,
    ) -> None:
        self._calendar = calendar
        self._hours = hours
        self._prices = prices
        self._risk = risk
        self._positions = positions
        self._cfg = config
        self._currency = currency

    def assess(
        self, order: Order, now: datetime, *, buying_power: Callable[[Margin], Decimal]
    ) -> tuple[str | None, Decimal]:
        """Why the market or the account refuses the order (or None), and the buying power it holds."""
        if self._hours.trading_session(now) is None:
            local = now.astimezone(self._calendar.zone)
            return f"market closed at {local:%Y-%m-%d %H:%M %Z}", ZERO
        today = self._calendar.local_date(now)
        quotes: list[Quote] = []
        for leg in order.legs:
            inst = leg.instrument
            if isinstance(inst, OptionContract) and inst.expiry < today:
                return f"{inst.key} expired on {inst.expiry.isoformat()}", ZERO
            q = self._prices.quote(inst, now)
            if q is None:
                return self._prices.missing_quote_reason(inst), ZERO
            quotes.append(q)
            if leg.effect is PositionEffect.CLOSE:
                held = self._positions[inst.key].quantity if inst.key in self._positions else 0
                closing = order.quantity * leg.ratio
                if (held > 0) == (leg.side is Side.BUY) or abs(held) < closing:
                    return f"close order for {closing} {inst.key} but the position is {held}", ZERO
        prices = [
            self._prices.estimate_price(leg.side, q, leg.instrument)
            for leg, q in zip(order.legs, quotes, strict=True)
        ]
        need, margin_after, margin_now = self._risk.impact(order, order.quantity, prices, first_fill=True)
        if order.order_type is OrderType.LIMIT:
            assert order.limit_price is not None
            # A limit fills at the limit or better: hold the limit's premium, not the quote's.
            quoted = premium(order, order.quantity, prices)
            need += order.limit_price * order.legs[0].instrument.multiplier * order.quantity - quoted
        else:
            gross = sum(
                (
                    p * leg.ratio * order.quantity * leg.instrument.multiplier
                    for leg, p in zip(order.legs, prices, strict=True)
                ),
                start=ZERO,
            )
            need += self._cfg.market_order_reserve * gross
        if (
            not self._cfg.margin.allow_naked_calls
            and margin_after.naked_call_contracts > margin_now.naked_call_contracts
        ):
            return "uncovered short calls are not allowed in this account", ZERO
        available = buying_power(margin_now)
        # An order that frees buying power (a close, a buy-back of short shares) only lowers the risk:
        # it is never refused for buying power, or an account in deficit could not get out of it.
        if need > available and need > 0:
            return (
                f"insufficient buying power: order needs {need:,.2f} {self._currency}, "
                f"account has {available:,.2f} {self._currency}",
                ZERO,
            )
        return None, max(need, ZERO)
