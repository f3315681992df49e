"""The prices the simulated broker sees: option quotes, stock quotes made from bars, spots and marks.

Stock orders trade on a quote made from the last complete bar (the market port has bars, not stock
quotes), a fixed number of ticks either side of its close; none while the simulator halts the
symbol. Options are marked at the mid of a two-sided quote, else the last such mid, else intrinsic value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol, runtime_checkable

from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.adapters.sim.matching import slippage_ticks
from optionpilot.core.errors import DataError
from optionpilot.core.money import ZERO, to_tick
from optionpilot.domain.instruments import Instrument, OptionContract, Stock, Underlying
from optionpilot.domain.market import Quote
from optionpilot.domain.orders import Side
from optionpilot.ports.market_data import MarketData

# Stock orders see no displayed size (the market port has bars, not stock quotes).
_STOCK_DEPTH = 10**9


@runtime_checkable
class Halts(Protocol):
    """A market that can halt trading in a symbol (the simulator's halt scenario)."""

    def halted(self, symbol: str) -> bool: ...


class BrokerPrices:
    def __init__(
        self, market: MarketData, underlyings: Mapping[str, Underlying], config: SimBrokerConfig
    ) -> None:
        self._market = market
        self._calendar = market.calendar
        self._underlyings = underlyings
        self._cfg = config
        self._last_mark: dict[str, Decimal] = {}
        self._halts = market if isinstance(market, Halts) else None

    def tick(self, inst: Instrument) -> Decimal:
        if isinstance(inst, OptionContract):
            return self._underlyings[inst.underlying].option_tick
        return self._underlyings[inst.symbol].tick

    def quote(self, inst: Instrument, now: datetime) -> Quote | None:
        if isinstance(inst, OptionContract):
            return self._market.quote(inst)
        if self._halts is not None and self._halts.halted(inst.symbol):
            return None  # a trading halt: nothing trades, so there is no price to deal at
        bar = self.last_bar(inst.symbol, now)
        if bar is None:
            return None
        tick = self.tick(inst)
        last = to_tick(bar[0], tick)
        half = self._cfg.stock_half_spread_ticks * tick
        return Quote(max(last - half, tick), last + half, _STOCK_DEPTH, _STOCK_DEPTH, bar[1])

    def missing_quote_reason(self, inst: Instrument) -> str:
        symbol = inst.underlying if isinstance(inst, OptionContract) else inst.symbol
        if self._halts is not None and self._halts.halted(symbol):
            return f"{inst.key} is not quoted: trading in {symbol} is halted"
        return f"{inst.key} is not quoted: not listed or no market"

    def spot(self, symbol: str) -> Decimal:
        return to_tick(self._market.spot(symbol), self._underlyings[symbol].tick)

    def mark(self, inst: Instrument) -> Decimal:
        """Options at the mid of a two-sided quote, else the last such mid, else intrinsic value."""
        if isinstance(inst, Stock):
            return self.spot(inst.symbol)
        q = self._market.quote(inst)
        key = inst.key
        if q is not None and q.bid > 0 and q.ask > 0 and q.bid <= q.ask:
            mark = self._last_mark[key] = q.mid
            return mark
        last = self._last_mark.get(key)
        return last if last is not None else inst.intrinsic(self.spot(inst.underlying))

    def estimate_price(self, side: Side, q: Quote, inst: Instrument) -> Decimal:
        """The price a marketable leg would fill at on this quote, slippage included."""
        tick = self.tick(inst)
        slip = slippage_ticks(q, tick, self._cfg.slippage_ticks, self._cfg.slippage_spread_fraction) * tick
        touch = q.ask if side is Side.BUY else q.bid
        other = q.bid if side is Side.BUY else q.ask
        if touch > 0:
            return touch + slip if side is Side.BUY else max(touch - slip, ZERO)
        return other if other > 0 else self.mark(inst)

    def underlying_close(self, symbol: str, session_close: datetime) -> Decimal:
        last = self.last_bar(symbol, session_close)
        if last is None:
            raise DataError(
                f"no bar of {symbol} at or before {session_close.isoformat()} to settle its options on",
                source="market data",
            )
        return to_tick(last[0], self._underlyings[symbol].tick)

    def last_bar(self, symbol: str, t: datetime) -> tuple[float, datetime] | None:
        """Close and end time of the last complete bar at `t`: a minute bar, or with end-of-day data the
        last complete session's daily bar."""
        bars = self._market.history(symbol, t, 1)
        if len(bars):
            return float(bars.close[-1]), datetime.fromtimestamp(int(bars.start_s[-1]) + 60, UTC)
        day = self._calendar.local_date(t) + timedelta(days=1)
        daily = self._market.daily_history(symbol, day, 1)
        if len(daily) == 0:
            return None
        session_day = self._calendar.local_date(datetime.fromtimestamp(int(daily.start_s[-1]), UTC))
        end = self._calendar.session(session_day).close
        if end > t:
            return None
        return float(daily.close[-1]), end
