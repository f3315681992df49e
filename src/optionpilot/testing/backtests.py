"""Small whole backtests on the simulator, for acceptance tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optionpilot.app.backtest import Backtest, build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.engine.runner import RunResult


def backtest_config(db: str, **overrides: dict[str, Any]) -> OptionPilotConfig:
    data: dict[str, Any] = {"run": {"db": db, "seed": 3}, "market": {"sessions": 2}}
    for key, value in overrides.items():
        data.setdefault(key, {}).update(value)
    return OptionPilotConfig.model_validate(data)


def run_backtest(db: str, **overrides: dict[str, Any]) -> tuple[Backtest, RunResult]:
    bt = build_backtest(backtest_config(db, **overrides))
    return bt, bt.runner.run()


def sqlite_url(tmp_path: Path, name: str = "bt.sqlite") -> str:
    return f"sqlite:///{tmp_path / name}"
