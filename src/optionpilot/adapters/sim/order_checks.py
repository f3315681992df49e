"""What the simulated broker's API refuses outright: an order that cannot even be sent.

These are refusals to send (BrokerError), as a real broker's API raises them. Refusals about the
account or the market (hours, quotes, positions, buying power) are the broker's own, later: a
REJECTED update with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from optionpilot.core.calendars import Market
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId, ClientOrderId
from optionpilot.domain.instruments import Instrument, OptionContract, Stock, Underlying
from optionpilot.domain.orders import Order, OrderStatus, OrderType, Side
from optionpilot.ports.broker import BrokerCapabilities, MultiLegStyle


class OrderChecks:
    """The checks of one broker: its account, what it takes, where it trades and what it lists."""

    def __init__(
        self,
        account_id: AccountId,
        caps: BrokerCapabilities,
        market: Market,
        underlyings: Mapping[str, Underlying],
    ) -> None:
        self._account_id = account_id
        self._caps = caps
        self._market = market
        self._underlyings = underlyings

    def refuse(self, message: str, code: str) -> BrokerError:
        return BrokerError(message, broker=self._caps.name, code=code)

    def check_sendable(self, order: Order) -> None:
        """Raise BrokerError for an order a real broker's API would not take (the client id aside)."""
        cid = order.client_order_id
        if order.account_id != self._account_id:
            raise self.refuse(
                f"order {cid} is for account {order.account_id}, not {self._account_id}", "account"
            )
        if order.status not in (OrderStatus.NEW, OrderStatus.SUBMITTED):
            raise self.refuse(f"order {cid} is {order.status.value}; only new orders can be sent", "status")
        if order.order_type not in self._caps.order_types:
            raise self.refuse(f"order {cid}: {order.order_type.value} orders are not supported", "order_type")
        n = len(order.legs)
        if n > 1 and self._caps.multi_leg is MultiLegStyle.LEGGED:
            raise self.refuse(
                f"order {cid} has {n} legs; this broker takes no multi-leg orders, send the legs one by one",
                "multi_leg",
            )
        if n > self._caps.max_legs:
            raise self.refuse(f"order {cid} has {n} legs; at most {self._caps.max_legs} are allowed", "legs")
        keys = [leg.instrument.key for leg in order.legs]
        if len(set(keys)) != n:
            raise self.refuse(f"order {cid} names the same instrument in two legs", "legs")
        if n > 1 and math.gcd(*(leg.ratio for leg in order.legs)) != 1:
            raise self.refuse(f"order {cid}: leg ratios must be in lowest terms", "legs")
        for leg in order.legs:
            self._check_instrument(cid, leg.instrument)
        if order.order_type is OrderType.LIMIT:
            self._check_limit(order)

    def _check_instrument(self, cid: ClientOrderId, inst: Instrument) -> None:
        if inst.market is not self._market:
            raise self.refuse(
                f"order {cid}: {inst.key} trades in {inst.market.value}, this broker in {self._market.value}",
                "market",
            )
        symbol = inst.underlying if isinstance(inst, OptionContract) else inst.symbol
        under = self._underlyings.get(symbol)
        if under is None:
            raise self.refuse(f"order {cid}: {symbol} is not listed at this broker", "not_listed")
        if isinstance(inst, Stock) and not under.is_tradeable:
            raise self.refuse(f"order {cid}: {symbol} is an index; only its options trade", "not_tradeable")

    def _check_limit(self, order: Order) -> None:
        limit = order.limit_price
        assert limit is not None  # Order refuses a limit order without one
        cid = order.client_order_id
        if len({leg.instrument.multiplier for leg in order.legs}) > 1:
            raise self.refuse(f"order {cid}: a limit on the net needs legs of one multiplier", "legs")
        if len(order.legs) == 1:
            side = order.legs[0].side
            # Order.limit_price is a net: + debit paid, - credit received. A single sell with a positive
            # limit would be a market order in disguise, so it is refused rather than guessed at.
            if side is Side.BUY and limit <= 0:
                raise self.refuse(f"order {cid}: a buy limit must be a positive debit, got {limit}", "limit")
            if side is Side.SELL and limit >= 0:
                raise self.refuse(
                    f"order {cid}: a sell limit is a credit and must be negative (e.g. -2.50), got {limit}",
                    "limit",
                )
