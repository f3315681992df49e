"""One backtest of a sweep, as a worker runs it: a plain picklable task in, its run id and figures out.

The same function runs in a local process pool and on a Dask worker; everything it needs travels in the
task (the base configuration's content, not its path), so a worker on another machine needs only the
package and, for PostgreSQL, the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from optionpilot.app.backtest import build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.periods import Period, simulator_period
from optionpilot.app.replay import replay_source
from optionpilot.app.report_data import report_data
from optionpilot.app.run_records import record_figures
from optionpilot.app.settings import load_model
from optionpilot.app.sweep_spec import Value, nested
from optionpilot.core.errors import OptionPilotError
from optionpilot.engine.pipeline import FLOWS, MAIN_ONLY, Flow
from optionpilot.persistence.recorder import SqlRecorder

FLOW_CHOICES: dict[str, tuple[Flow, ...]] = {"both": FLOWS, "main": MAIN_ONLY, "multileg": ("multileg",)}


@dataclass(frozen=True, slots=True)
class SweepTask:
    index: int
    param_key: str
    params: dict[str, Value]
    role: str  # grid | train | test
    fold: int | None
    run_id: str
    base: dict[str, Any]
    db: str
    out: str
    seed: int
    start: date | None = None
    end: date | None = None
    days: int | None = None
    symbols: str | None = None
    flow: str = "both"
    data: str | None = None


@dataclass(frozen=True, slots=True)
class TaskResult:
    index: int
    run_id: str
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None  # a bad parameter set: reported, not retried
    bar_events: int = 0


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def config_for(task: SweepTask) -> OptionPilotConfig:
    """The base configuration, the task's parameters over it, then its run settings and period."""
    over = _merge(task.base, nested(task.params))
    over = _merge(over, {"run": {"db": task.db, "out": task.out, "seed": task.seed}})
    cfg = load_model(OptionPilotConfig, None, overrides=over)
    if task.symbols and task.data is None:
        cfg = cfg.model_copy(update={"market": cfg.market.only(_symbols(task.symbols))})
    if task.data is None:
        cfg = simulator_period(cfg, Period(task.start, task.end, task.days))
    return cfg


def _symbols(text: str) -> list[str]:
    return [s.strip().upper() for s in text.split(",") if s.strip()]


def run_task(task: SweepTask) -> TaskResult:
    """Run the backtest and store its figures. A bad parameter set comes back as an error; anything else
    (a crash, a killed worker) raises, and the driver retries the task once."""
    try:
        cfg = config_for(task)
        source = None
        if task.data is not None:
            period = Period(task.start, task.end, task.days)
            source, cfg = replay_source(Path(task.data), cfg, task.symbols, None, period)
        bt = build_backtest(cfg, source=source, flows=FLOW_CHOICES[task.flow], run_id=task.run_id)
    except OptionPilotError as exc:
        return TaskResult(task.index, task.run_id, error=str(exc).splitlines()[0])
    try:
        result = bt.runner.run()
    except Exception as exc:
        if isinstance(bt.recorder, SqlRecorder):
            bt.recorder.fail_run(exc)
        if isinstance(exc, OptionPilotError):
            return TaskResult(task.index, task.run_id, error=str(exc).splitlines()[0])
        raise
    finally:
        bt.notifier.close()
        if isinstance(bt.recorder, SqlRecorder):
            bt.recorder.close()
    figures = record_figures(cfg.run.db, bt.run_id, report_data(cfg, bt.run_id))
    return TaskResult(task.index, bt.run_id, figures, None, result.bar_events)
