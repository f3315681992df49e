"""Pricing the simulated option chains: a chain's expiries and strikes near the money, or one contract.

A chain holds, per listed expiry within the asked days to expiry, the strikes of the ladder within a
window of standard deviations around the spot, each as a call row then a put row. Time to expiry runs to
the expiry session's close, in seconds.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import numpy as np

from optionpilot.adapters.sim.listings import StrikeLadder
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.adapters.sim.paths import symbol_key
from optionpilot.adapters.sim.quotes import MarketState, QuoteModel, contract_key, contract_keys, mix
from optionpilot.adapters.sim.surface import atm_vol_one
from optionpilot.core.calendars import TradingCalendar
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Underlying
from optionpilot.domain.market import Quote

YEAR_SECONDS = 365.0 * 86400.0
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class ChainIndex:
    """Where each contract sits in a cached chain: rows go expiry, strike, then call before put."""

    offsets: dict[date, tuple[int, list[float]]]

    def row(self, contract: OptionContract) -> int | None:
        found = self.offsets.get(contract.expiry)
        if found is None:
            return None
        offset, strikes = found
        k = float(contract.strike)
        i = bisect.bisect_left(strikes, k)
        if i == len(strikes) or strikes[i] != k:
            return None
        return offset + 2 * i + (0 if contract.is_call else 1)


class ChainPricer:
    """Prices the options of every simulated underlying (by row) from its market state at a minute."""

    def __init__(
        self,
        config: SimMarketConfig,
        seed: int,
        calendar: TradingCalendar,
        underlyings: Sequence[Underlying],
        regular_close: time,
    ) -> None:
        self._cfg = config
        self._profiles = config.profiles
        self._cal = calendar
        self._underlyings = underlyings
        self._regular_close = regular_close
        self._models = [QuoteModel(p, config.surface, config.quotes) for p in self._profiles]
        self._key_base = [mix((seed << 32) ^ symbol_key(p.symbol)) for p in self._profiles]
        self._expiry_close: dict[date, int] = {}

    def rate(self, tenor_days: float) -> float:
        c = self._cfg.rates
        return c.long + (c.short - c.long) * math.exp(-tenor_days / c.scale_days)

    def close_of(self, expiry: date) -> int:
        """The expiry session's close, in epoch seconds."""
        found = self._expiry_close.get(expiry)
        if found is None:
            try:
                found = int(self._cal.session(expiry).close.timestamp())
            except Exception:  # past the calendar's maintained range: the regular close
                found = int(datetime.combine(expiry, self._regular_close).timestamp())
            self._expiry_close[expiry] = found
        return found

    def price_chain(
        self,
        row: int,
        market: MarketState,
        ladder: StrikeLadder,
        expiries: Sequence[date],
        at: tuple[int, date, datetime],
        given: Mapping[OptionContract, Quote | None],
        min_dte: int,
        max_dte: int,
    ) -> tuple[ChainSnapshot, ChainIndex]:
        """The chain at `at` (epoch seconds, local day, time); quotes already `given` at it are kept."""
        ts_s, today, ts = at
        profile = self._profiles[row]
        cfg = self._cfg.surface
        blocks: list[tuple[date, np.ndarray, float, float, int]] = []
        offsets: dict[date, tuple[int, list[float]]] = {}
        rows = 0
        for expiry in expiries:
            dte = (expiry - today).days
            if dte < min_dte or dte > max_dte:
                continue
            T = max(self.close_of(expiry) - ts_s, 0) / YEAR_SECONDS
            atm = atm_vol_one(market.sigma, profile.base_vol, T, cfg)
            half = min(
                max(cfg.window_sd * atm * math.sqrt(max(T, 1.0 / 365.0)), cfg.window_min), cfg.window_max
            )
            lo = int(np.searchsorted(ladder.floats, market.spot * math.exp(-half), side="left"))
            hi = int(np.searchsorted(ladder.floats, market.spot * math.exp(half), side="right"))
            if lo >= hi:
                continue
            strikes = ladder.floats[lo:hi]
            blocks.append((expiry, strikes, T, self.rate(dte), dte))
            offsets[expiry] = (rows, strikes.tolist())
            rows += 2 * strikes.size
        if blocks:
            strike = np.concatenate([np.repeat(b[1], 2) for b in blocks])
            counts = [2 * b[1].size for b in blocks]
            T_rows = np.repeat([b[2] for b in blocks], counts)
            r_rows = np.repeat([b[3] for b in blocks], counts)
            dte_rows = np.repeat(np.array([b[4] for b in blocks], dtype=np.float64), counts)
            expiry_rows = np.repeat(np.array([b[0] for b in blocks], dtype="datetime64[D]"), counts)
        else:
            strike = T_rows = r_rows = dte_rows = np.zeros(0)
            expiry_rows = np.zeros(0, dtype="datetime64[D]")
        is_call = np.zeros(strike.size, dtype=bool)
        is_call[0::2] = True
        ordinals = expiry_rows.astype(np.int64) + _EPOCH_ORDINAL
        keys = contract_keys(self._key_base[row], ordinals, np.round(strike * 1000).astype(np.int64), is_call)
        q = self._models[row].price_rows(market, strike, T_rows, r_rows, dte_rows, is_call, keys)
        index = ChainIndex(offsets)
        tick = self._models[row].tick
        bid, ask = np.round(q.bid_ticks * tick, 9), np.round(q.ask_ticks * tick, 9)
        bid_size, ask_size = q.bid_size, q.ask_size
        # Quotes already handed out at this minute win, so chain and quote never disagree.
        for contract, quote in given.items():
            if quote is None or contract.underlying != profile.symbol:
                continue
            i = index.row(contract)
            if i is not None:
                bid[i], ask[i] = float(quote.bid), float(quote.ask)
                bid_size[i], ask_size[i] = quote.bid_size, quote.ask_size
        snap = ChainSnapshot(
            underlying=self._underlyings[row],
            ts=ts,
            spot=market.spot,
            expiry=expiry_rows,
            strike=strike,
            is_call=is_call,
            bid=bid,
            ask=ask,
            bid_size=bid_size,
            ask_size=ask_size,
            volume=q.volume,
            open_interest=q.open_interest,
        )
        return snap, index

    def price_one(
        self, row: int, market: MarketState, contract: OptionContract, at: tuple[int, date, datetime]
    ) -> Quote:
        ts_s, today, ts = at
        dte = (contract.expiry - today).days
        T = max(self.close_of(contract.expiry) - ts_s, 0) / YEAR_SECONDS
        strike = float(contract.strike)
        key = contract_key(
            self._key_base[row], contract.expiry.toordinal(), round(strike * 1000), contract.is_call
        )
        bid_t, ask_t, bid_size, ask_size = self._models[row].price_one(
            market, strike, T, self.rate(dte), float(dte), contract.is_call, key
        )
        tick = self._profiles[row].option_tick
        # An integer times the tick keeps the tick's exponent: Decimal(144) * Decimal("0.01") is 1.44.
        return Quote(Decimal(bid_t) * tick, Decimal(ask_t) * tick, bid_size, ask_size, ts)
