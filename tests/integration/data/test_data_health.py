"""`status` says whether the stored market data passes `data check`: on every real data set, and when the
share of flagged rows is over the limit."""

from __future__ import annotations

from pathlib import Path

from optionpilot.adapters.files.importer import ImportResult
from optionpilot.adapters.files.store import DataStore
from optionpilot.app.data_health import data_check_summary
from optionpilot.decisions.health import HealthConfig


def test_the_real_data_passes_and_a_strict_limit_fails_it(
    full_store: tuple[DataStore, list[ImportResult]],
) -> None:
    store, _ = full_store
    ok = data_check_summary(store.root, HealthConfig())
    assert ok["passes"] is True, ok["summary"]
    strict = data_check_summary(store.root, HealthConfig(data_max_flagged_pct=0.0))
    assert strict["passes"] is False
    assert "rows flagged" in str(strict["summary"])


def test_nothing_to_check_is_said_plainly(tmp_path: Path) -> None:
    assert data_check_summary(tmp_path / "absent", HealthConfig())["passes"] is None
    (tmp_path / "empty").mkdir()
    empty = data_check_summary(tmp_path / "empty", HealthConfig())
    assert empty["passes"] is None and empty["summary"] == "nothing imported yet"
