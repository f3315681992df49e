"""The ATM IV of a chain, and the record of it per session that stands in for an IV history."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from optionpilot.adapters.alpaca.iv_record import IvRecord, atm_iv
from optionpilot.core.errors import ConfigError
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import Underlying

TODAY = date(2025, 3, 3)


def _chain(rows: list[tuple[str, float, bool]], spot: float = 100.0) -> ChainSnapshot:
    n = len(rows)
    z = np.zeros(n)
    zi = np.zeros(n, dtype=np.int64)
    return ChainSnapshot(
        Underlying("XYZ"),
        datetime(2025, 3, 3, 15, tzinfo=UTC),
        spot,
        np.array([r[0] for r in rows], dtype="datetime64[D]"),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        z + 1,
        z + 1.1,
        zi + 1,
        zi + 1,
        zi,
        zi,
    )


def test_atm_iv_interpolates_total_variance_to_30_days() -> None:
    # Expiries 20 and 40 days out; the strike nearest the spot (100, not 95) with a call and a put.
    rows = [
        ("2025-03-23", 95.0, True), ("2025-03-23", 100.0, True), ("2025-03-23", 100.0, False),
        ("2025-04-12", 100.0, True), ("2025-04-12", 100.0, False), ("2025-04-12", 110.0, False),
    ]  # fmt: skip
    iv = np.array([0.9, 0.20, 0.22, 0.30, 0.30, 0.9])
    expected = math.sqrt((0.21**2 * 20 + (0.30**2 * 40 - 0.21**2 * 20) * 0.5) / 30)
    assert atm_iv(_chain(rows), iv, TODAY) == pytest.approx(expected)
    # One side only: the nearest expiry's; an expiry too close is ignored; no pair at all is NaN.
    assert atm_iv(_chain(rows[3:]), iv[3:], TODAY) == pytest.approx(0.30)
    near = [("2025-03-04", 100.0, True), ("2025-03-04", 100.0, False)]
    assert math.isnan(atm_iv(_chain(near), np.array([0.5, 0.5]), TODAY))
    assert math.isnan(atm_iv(_chain(rows[:2]), iv[:2], TODAY))


def test_the_record_returns_sessions_before_end_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "iv" / "atm.json"
    record = IvRecord(path)
    record.record("SPY", date(2025, 3, 3), 0.18)
    record.record("SPY", date(2025, 3, 4), 0.19)
    record.record("SPY", date(2025, 3, 4), 0.21)  # the day's last value wins
    record.record("SPY", date(2025, 3, 5), math.nan)  # nothing usable: nothing recorded
    again = IvRecord(path)
    assert again.history("SPY", date(2025, 3, 5), 10).tolist() == [0.18, 0.21]
    assert again.history("SPY", date(2025, 3, 4), 10).tolist() == [0.18]
    assert again.history("SPY", date(2025, 3, 5), 1).tolist() == [0.21]
    assert again.history("QQQ", date(2025, 3, 5), 5).size == 0


def test_an_unreadable_record_is_a_one_line_config_error(tmp_path: Path) -> None:
    path = tmp_path / "atm.json"
    path.write_text('{"SPY": {"not a day": 0.2}}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ATM IV record .*atm\.json: cannot be read"):
        IvRecord(path)
