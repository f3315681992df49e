"""A chain snapshot: one underlying's listed contracts and quotes at one time, as float64 arrays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np

from optionpilot.core.money import to_tick
from optionpilot.domain.instruments import OptionContract, OptionRight, Underlying
from optionpilot.domain.market import Quote


@dataclass(frozen=True, slots=True)
class ChainSnapshot:
    """Arrays are aligned by row: one row per contract. Decimal views are made only on demand."""

    underlying: Underlying
    ts: datetime
    spot: float
    expiry: np.ndarray  # datetime64[D]
    strike: np.ndarray  # float64
    is_call: np.ndarray  # bool
    bid: np.ndarray  # float64, 0 where no bid
    ask: np.ndarray  # float64, 0 where no ask
    bid_size: np.ndarray  # int64
    ask_size: np.ndarray  # int64
    volume: np.ndarray  # int64, the session's volume so far
    open_interest: np.ndarray  # int64
    quote_ts: np.ndarray | None = None  # int64 epoch seconds of each quote, None = all at `ts`

    def __len__(self) -> int:
        return int(self.strike.shape[0])

    @property
    def mid(self) -> np.ndarray:
        return np.asarray((self.bid + self.ask) / 2.0, dtype=np.float64)

    def expiries(self) -> list[date]:
        return [d.astype(object) for d in np.unique(self.expiry)]

    def contract(self, i: int) -> OptionContract:
        u = self.underlying
        strike = Decimal(repr(float(self.strike[i]))).normalize()
        if strike == strike.to_integral_value():
            strike = strike.quantize(Decimal(1))
        return OptionContract.for_underlying(
            u, self.expiry[i].astype(object), strike, OptionRight.CALL if self.is_call[i] else OptionRight.PUT
        )

    def quote(self, i: int) -> Quote:
        tick = self.underlying.option_tick
        ts = self.ts
        if self.quote_ts is not None:
            from datetime import UTC

            ts = datetime.fromtimestamp(int(self.quote_ts[i]), UTC)
        return Quote(
            bid=to_tick(float(self.bid[i]), tick),
            ask=to_tick(float(self.ask[i]), tick),
            bid_size=int(self.bid_size[i]),
            ask_size=int(self.ask_size[i]),
            ts=ts,
        )

    def find(self, contract: OptionContract) -> int | None:
        mask = (
            (self.expiry == np.datetime64(contract.expiry, "D"))
            & (self.strike == float(contract.strike))
            & (self.is_call == contract.is_call)
        )
        idx = np.flatnonzero(mask)
        return int(idx[0]) if idx.size else None

    def select(self, mask: np.ndarray) -> ChainSnapshot:
        return ChainSnapshot(
            underlying=self.underlying,
            ts=self.ts,
            spot=self.spot,
            expiry=self.expiry[mask],
            strike=self.strike[mask],
            is_call=self.is_call[mask],
            bid=self.bid[mask],
            ask=self.ask[mask],
            bid_size=self.bid_size[mask],
            ask_size=self.ask_size[mask],
            volume=self.volume[mask],
            open_interest=self.open_interest[mask],
            quote_ts=None if self.quote_ts is None else self.quote_ts[mask],
        )
