from __future__ import annotations

import numpy as np
import pytest

from optionpilot.core.errors import DataError
from optionpilot.signals.iv import IvConfig, iv_percentile, iv_rank


def test_seed_example_rank() -> None:
    history = np.linspace(0.20, 0.60, 252)
    assert iv_rank(0.35, history) == pytest.approx(0.375)


def test_rank_uses_only_the_lookback_and_clips() -> None:
    history = [0.9] * 10 + [0.2, 0.4] * 126  # the 0.9s fall out of the last 252 sessions
    assert iv_rank(0.3, history) == pytest.approx(0.5)
    assert iv_rank(0.8, history) == 1.0
    assert iv_rank(0.1, history) == 0.0


def test_percentile_counts_sessions_below() -> None:
    history = np.arange(1, 101) / 100.0
    assert iv_percentile(0.805, history) == pytest.approx(0.80)


def test_too_little_history_says_nothing() -> None:
    assert iv_rank(0.3, [0.2, 0.4]) is None
    assert iv_percentile(0.3, [0.2, float("nan")] * 30, IvConfig(min_sessions=40)) is None


def test_bad_current_iv_is_an_error() -> None:
    with pytest.raises(DataError, match="implied volatility"):
        iv_rank(float("nan"), [0.2] * 30)
