"""The pre-trade gate: every order the order manager places passes it after it is stored and before it is
sent (issue 17). A refusal leaves the order REJECTED with the check's reason; nothing reaches the broker.

Which checks apply (the pure checks live in `decisions/pretrade/`):
- every order: market hours and holidays; a market order never goes out on a missing or stale quote;
- entries and rolls (`OPENING_PURPOSES`): the trading state (only ACTIVE opens legs, so no path around the
  dispatcher exists);
- entries (`ENTRY_PURPOSES`) also: the stale quote guard, the limit collar, order and position notional,
  open orders, the order-rate throttle.
A close is never held back by a limit only entries obey: its limit passes the collar as it is (the
position manager chose it to get out, and a fill at the market is never worse than the quote allows; a
clamped or refused close could leave the risk on), and the throttle and open-order count only count it.
A market close on a stale quote is refused and stays the position manager's to retry at its next look.
The legs a legged broker gets one by one, and their unwinds, were checked as their parent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from optionpilot.decisions.breaker import TradingState, entry_allowed
from optionpilot.decisions.pretrade.config import ENTRY_PURPOSES, OPENING_PURPOSES, PreTradeConfig
from optionpilot.decisions.pretrade.flow import check_open_orders, check_order_rate
from optionpilot.decisions.pretrade.hours import check_market_hours
from optionpilot.decisions.pretrade.prices import NetQuote, check_collar, check_quote_age
from optionpilot.decisions.pretrade.sizes import check_order_notional, check_position_notional
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.orders import Order, OrderType, Side
from optionpilot.domain.recommendations import Decision
from optionpilot.ports.market_data import MarketData

StateSource = Callable[[], tuple[TradingState, str]]
_MINUTE = timedelta(minutes=1)


class AccountFacts:
    """What the gate asks of the account, lazily: the order manager answers (see `OrderManager.place`)."""

    def __init__(
        self,
        working: Callable[[], int],
        equity: Callable[[], Decimal],
        held: Callable[[], Decimal],
    ) -> None:
        self.working = working  # orders working, the new one not counted
        self.equity = equity
        self.held = held  # the value the order's position holds now


class PreTradeGate:
    def __init__(
        self, market: MarketData, config: PreTradeConfig | None = None, *, end_of_day: bool = False
    ) -> None:
        self.market = market
        self.calendar = market.calendar
        self.config = config or PreTradeConfig()
        # End-of-day data is one snapshot a session (Cboe's at 15:45, vendors' at the close) and the engine
        # decides at the close: a quote of this session is as fresh as the data gets, one of an earlier
        # session is stale.
        self.end_of_day = end_of_day
        # The account's trading state; `AccountRuntime` binds it (ACTIVE until then).
        self.state_source: StateSource = lambda: (TradingState.ACTIVE, "")
        self._sent: deque[datetime] = deque()  # when each order that passed went out, the last minute

    def check(self, order: Order, now: datetime, account: AccountFacts) -> Decision[Order]:
        """The first check that refuses `order`, or yes with the order."""
        cfg = self.config
        entry = order.purpose in ENTRY_PURPOSES
        if order.purpose in OPENING_PURPOSES:
            state, why = self.state_source()
            allowed = entry_allowed(state, why)
            if not allowed.ok:
                return Decision.no(allowed.reason, allowed.rule)
        day = self.calendar.local_date(now)
        session = self.calendar.session(day) if self.calendar.is_session(day) else None
        if cfg.market_hours:
            hours = check_market_hours(now, session, self.calendar.info.calendar_code)
            if not hours.ok:
                return Decision.no(hours.reason, hours.rule)
        market_order = order.order_type is OrderType.MARKET
        quote = self.net_quote(order, now) if entry or market_order else None
        widen = now - session.open if self.end_of_day and session is not None else None
        fresh = check_quote_age(quote, cfg, entry=entry, market_order=market_order, max_age=widen)
        if not fresh.ok:
            return Decision.no(fresh.reason, fresh.rule, **fresh.details)
        if entry:
            assert quote is not None  # the quote guard refuses an entry without one
            refused = self._entry_limits(order, now, quote, account)
            if refused is not None:
                return refused
        return Decision.yes(order, "passed the pre-trade checks", "risk.passed")

    def _entry_limits(
        self, order: Order, now: datetime, quote: NetQuote, account: AccountFacts
    ) -> Decision[Order] | None:
        cfg = self.config
        if order.limit_price is not None:
            collar = check_collar(order.limit_price, quote, cfg)
            if not collar.ok:
                return Decision.no(collar.reason, collar.rule, **collar.details)
        notional = self.notional(order, quote)
        equity = account.equity()
        for d in (
            check_order_notional(notional, equity, cfg),
            check_position_notional(account.held(), notional, equity, cfg),
            check_open_orders(account.working(), cfg),
            check_order_rate(self.sent_last_minute(now), cfg),
        ):
            if not d.ok:
                return Decision.no(d.reason, d.rule, **d.details)
        return None

    def sent(self, now: datetime) -> None:
        """An order passed and goes out now: it counts against the throttle for a minute."""
        self._sent.append(now)

    def sent_last_minute(self, now: datetime) -> int:
        while self._sent and self._sent[0] <= now - _MINUTE:
            self._sent.popleft()
        return len(self._sent)

    def net_quote(self, order: Order, now: datetime) -> NetQuote | None:
        """The order's market per unit and per share, as its limit is written: buying it at the ask side
        (buys at the ask, sells at the bid), selling at the other; None when an option leg has no
        two-sided quote. A stock's price is its last trade at the clock (no age known)."""
        bid = ask = value = Decimal(0)
        oldest: timedelta | None = None
        for leg in order.legs:
            inst = leg.instrument
            if isinstance(inst, OptionContract):
                q = self.market.quote(inst)
                if q is None or q.bid <= 0 or q.ask <= 0 or q.bid > q.ask:
                    return None
                leg_bid, leg_ask = q.bid, q.ask
                age = now - q.ts
                oldest = age if oldest is None else max(oldest, age)
            else:
                leg_bid = leg_ask = Decimal(repr(round(self.market.spot(inst.symbol), 4)))
            value += leg.side.sign * leg.ratio * (leg_bid + leg_ask) / 2 * leg.multiplier
            if leg.side is Side.BUY:
                bid, ask = bid + leg.ratio * leg_bid, ask + leg.ratio * leg_ask
            else:
                bid, ask = bid - leg.ratio * leg_ask, ask - leg.ratio * leg_bid
        return NetQuote(bid, ask, oldest, value)

    @staticmethod
    def notional(order: Order, quote: NetQuote) -> Decimal:
        """The order's value: its limit x multiplier x quantity; a market order (or one mixing shares and
        options, whose limit is per share of neither) at its legs' mids."""
        multipliers = {leg.multiplier for leg in order.legs}
        if order.limit_price is not None and len(multipliers) == 1:
            return abs(order.limit_price) * multipliers.pop() * order.quantity
        return abs(quote.unit_value) * order.quantity
