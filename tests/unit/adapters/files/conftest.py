"""A store holding every real data set, imported once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from optionpilot.adapters.files.importer import ImportResult, data_files, import_file
from optionpilot.adapters.files.iv_history import compute_iv_history
from optionpilot.adapters.files.store import DataStore


@pytest.fixture(scope="session")
def full_store(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DataStore, list[ImportResult]]:
    store = DataStore(tmp_path_factory.mktemp("store"))
    results = [import_file(store, f) for f in data_files([shared_data])]
    compute_iv_history(store, lambda day, T: 0.01, symbols=["SPY", "GOOG"])
    return store, results
