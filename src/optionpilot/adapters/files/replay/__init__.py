"""Replaying the store: a point-in-time `MarketData` over stored bars, chains, rates and IV history.

Everything is as of the clock: a chain row is served once its `quote_ts` has passed, a minute bar once
its end has, a daily bar once its session has closed; asking about a later time raises LookAheadError.
Underlying history is split-adjusted for splits on or before the clock's day only.

Modules: `config` (assumptions and each symbol's contract terms, settlement included), `arrays` (chain
partitions and bars as arrays), `market` (`StoreMarket`, the port), `backtest` (wiring a backtest).
"""

from optionpilot.adapters.files.replay.backtest import ReplaySpec, open_store_for_backtest
from optionpilot.adapters.files.replay.config import ReplayConfig, underlying_for
from optionpilot.adapters.files.replay.market import StoreMarket

__all__ = ["ReplayConfig", "ReplaySpec", "StoreMarket", "open_store_for_backtest", "underlying_for"]
