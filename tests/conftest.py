"""Shared fixtures: where the real data lives, and the PostgreSQL URL (skip or fail when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OPTIONPILOT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real market data of ../shared/data; tests that need it skip when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set OPTIONPILOT_SHARED_DATA)")
    return SHARED_DATA
