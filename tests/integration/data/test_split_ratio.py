"""The replay knows the AAPL 7-for-1 split on its ex-date, so the engine can restate its features."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from optionpilot.adapters.files.importer import import_file
from optionpilot.adapters.files.replay import StoreMarket
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.clock import SimulatedClock


def test_split_ratio_on_the_ex_date_only(shared_data: Path, tmp_path: Path) -> None:
    store = DataStore(tmp_path / "store")
    import_file(store, shared_data / "bars/minute/aapl_minute_trade_20140605_20140609.csv")
    clock = SimulatedClock(datetime(2014, 6, 9, 13, 0, tzinfo=UTC))  # before the open of the ex-date
    market = StoreMarket(store, clock, ["AAPL"])
    assert market.split_ratio("AAPL", date(2014, 6, 9)) == 7.0
    assert market.split_ratio("AAPL", date(2014, 6, 6)) == 1.0
