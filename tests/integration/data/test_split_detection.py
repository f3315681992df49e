"""Split detection on real daily bars: the AIG crash of September 2008 is no split, real splits still are
(AIG's 3-for-2s, AAPL's 2:1, 7:1 and 4:1, IBM's 2:1), and a bad opening print is no reverse split."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from optionpilot.adapters.files.corporate_actions import split_gaps
from optionpilot.adapters.files.importer import import_file
from optionpilot.adapters.files.replay import ReplayConfig, StoreMarket
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.clock import SimulatedClock


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    ds = DataStore(tmp_path_factory.mktemp("splits"))
    for name in ("aig", "aapl", "ibm"):
        import_file(ds, shared_data / f"bars/daily/daily_{name}.csv")
    return ds


def _splits(store: DataStore, symbol: str) -> dict[date, float]:
    market = StoreMarket(store, SimulatedClock(datetime(2021, 3, 31, 21, 0, tzinfo=UTC)), [symbol])
    return {s.day: s.ratio for s in market.splits(symbol)}


def test_the_aig_crash_is_no_split_and_its_three_for_two_splits_are(store: DataStore) -> None:
    found = _splits(store, "AIG")
    assert found == {date(1998, 8, 3): 1.5, date(2000, 7, 31): 1.5}
    clock = SimulatedClock(datetime(2008, 9, 30, 21, 0, tzinfo=UTC))
    # One year of daily history: the exchange calendar starts in December 2006.
    market = StoreMarket(store, clock, ["AIG"], config=ReplayConfig(daily_years=1))
    assert market.split_ratio("AIG", date(2008, 9, 17)) == 1.0
    # The replay's history is not "adjusted" by a split that never happened: the crash stays a crash.
    history = market.daily_history("AIG", date(2008, 9, 18), 3)
    assert list(np.round(history.close, 2)) == [5.09, 3.94, 2.05]


def test_real_splits_are_still_detected(store: DataStore) -> None:
    assert _splits(store, "AAPL") == {
        date(2000, 6, 21): 2.0,
        date(2005, 2, 28): 2.0,
        date(2014, 6, 9): 7.0,
        date(2020, 8, 31): 4.0,
    }
    assert _splits(store, "IBM") == {date(1999, 5, 27): 2.0}  # and no 1:2 on 2002-12-23 (a bad print)


def test_rejected_gaps_say_why(shared_data: Path) -> None:
    import csv

    with (shared_data / "bars/daily/daily_aig.csv").open() as f:
        rows = list(csv.DictReader(f))
    days = np.array([r["datetime"][:10] for r in rows], dtype="datetime64[D]")
    col = {k: np.array([float(r[k]) for r in rows]) for k in ("open", "close", "volume")}
    found, rejected = split_gaps("AIG", days, col["open"], col["close"], volumes=col["volume"])
    assert [s.day for s in found] == [date(1998, 8, 3), date(2000, 7, 31)]
    [crash] = rejected
    assert crash.day == date(2008, 9, 17) and crash.ratio == 1.5
    assert "new price level did not hold" in crash.describe() and "1.922" in crash.describe()


DAYS = np.arange(np.datetime64("2024-01-02"), np.datetime64("2024-01-12"))


def _gap_2_for_1(volume_after: float) -> tuple[np.ndarray, ...]:
    """Ten sessions at 100, then 50 from the sixth on: a 2:1 gap whose level holds."""
    closes = np.array([100.0] * 5 + [50.0] * 5)
    opens = closes.copy()
    volumes = np.array([1e6] * 5 + [volume_after] * 5)
    return opens, closes, volumes


def test_volume_must_scale_with_the_ratio_when_it_is_known() -> None:
    opens, closes, volumes = _gap_2_for_1(2.2e6)
    [split] = split_gaps("X", DAYS, opens, closes, volumes=volumes)[0]
    assert (split.day, split.ratio) == (date(2024, 1, 7), 2.0)
    opens, closes, volumes = _gap_2_for_1(20e6)  # 20x the shares: a panic, not a 2:1 split
    found, [rejected] = split_gaps("X", DAYS, opens, closes, volumes=volumes)
    assert found == [] and "share volume changed 20.00x, not about 2x" in rejected.why
    assert len(split_gaps("X", DAYS, opens, closes)[0]) == 1  # no volumes: the price evidence alone
