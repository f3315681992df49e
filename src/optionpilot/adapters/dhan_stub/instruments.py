"""Security ids: Dhan names every instrument by a number; the stub gives one to each listed contract.

Underlyings keep Dhan's real ids: indices in segment IDX_I (NIFTY 13, BANKNIFTY 25, FINNIFTY 27), stocks
in NSE_EQ (RELIANCE 2885). Options
are numbered from 35001 in the order they are first listed (sorted by underlying, expiry, strike, right),
so one run hands out one id per contract and never reuses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.domain.instruments import AssetClass, OptionContract, Underlying

INDEX_SEGMENT = "IDX_I"
EQUITY_SEGMENT = "NSE_EQ"
OPTION_SEGMENT = "NSE_FNO"
KNOWN_IDS = {
    "NIFTY": 13,
    "BANKNIFTY": 25,
    "FINNIFTY": 27,
    "MIDCPNIFTY": 442,
    "RELIANCE": 2885,
    "HDFCBANK": 1333,
    "INFY": 1594,
    "TCS": 11536,
}
FIRST_OPTION_ID = 35001
LISTING_HORIZON_DAYS = 120


@dataclass(frozen=True, slots=True)
class Listed:
    security_id: int
    contract: OptionContract
    underlying: Underlying

    @property
    def lot_size(self) -> int:
        return self.contract.multiplier

    @property
    def tick(self) -> Decimal:
        return self.underlying.option_tick

    @property
    def instrument(self) -> str:
        """Dhan's instrument type: index or stock options."""
        return "OPTIDX" if self.underlying.asset_class is AssetClass.INDEX else "OPTSTK"


def segment_of(underlying: Underlying) -> str:
    return INDEX_SEGMENT if underlying.asset_class is AssetClass.INDEX else EQUITY_SEGMENT


class Instruments:
    def __init__(self, market: SimulatedMarket) -> None:
        self._market = market
        self.underlyings = {u.symbol: u for u in market.underlyings()}
        self._index_ids: dict[str, int] = {}
        for i, symbol in enumerate(self.underlyings):
            self._index_ids[symbol] = KNOWN_IDS.get(symbol, 100 + i)
        self._by_id: dict[int, Listed] = {}
        self._by_contract: dict[OptionContract, int] = {}
        self._listed_on: date | None = None

    def underlying_id(self, symbol: str) -> int:
        return self._index_ids[symbol]

    def underlying_of(self, security_id: int, segment: str) -> Underlying | None:
        for symbol, sid in self._index_ids.items():
            if sid == security_id and segment_of(self.underlyings[symbol]) == segment:
                return self.underlyings[symbol]
        return None

    def refresh(self, today: date) -> None:
        """Number the contracts listed today that have no id yet (once a day)."""
        if self._listed_on == today:
            return
        self._listed_on = today
        for symbol in self.underlyings:
            chain = self._market.chain(symbol, min_dte=0, max_dte=LISTING_HORIZON_DAYS)
            contracts = sorted(
                (chain.contract(i) for i in range(len(chain))),
                key=lambda c: (c.expiry, c.strike, not c.is_call),
            )
            for c in contracts:
                self.register(c)

    def register(self, contract: OptionContract) -> int:
        found = self._by_contract.get(contract)
        if found is not None:
            return found
        sid = FIRST_OPTION_ID + len(self._by_id)
        self._by_id[sid] = Listed(sid, contract, self.underlyings[contract.underlying])
        self._by_contract[contract] = sid
        return sid

    def listed(self, security_id: int) -> Listed | None:
        return self._by_id.get(security_id)

    def security_id(self, contract: OptionContract) -> int:
        return self.register(contract)

    def all_listed(self) -> list[Listed]:
        return list(self._by_id.values())
