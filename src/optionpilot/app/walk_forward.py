"""Walk-forward: roll a TRAIN:TEST window of sessions over the spec's period; on each fold choose the best
parameter set on train, score it on the next test window, and stitch the out-of-sample figures together
next to the in-sample ones.

Every fold's train grid runs at once (they are independent), then every chosen set on its test window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optionpilot.adapters.files.replay import open_store_for_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.periods import Period, session_picker, simulator_period
from optionpilot.app.settings import load_model
from optionpilot.app.sweep_rank import Ranked, rank
from optionpilot.app.sweep_runner import Outcome, SweepDriver, Window, Workers
from optionpilot.core.calendars import Session, calendar_for
from optionpilot.core.errors import ConfigError


def parse_windows(text: str) -> tuple[int, int]:
    train, sep, test = text.partition(":")
    if (
        not sep
        or not train.strip().isdigit()
        or not test.strip().isdigit()
        or int(train) < 1
        or int(test) < 1
    ):
        raise ConfigError(f"--walk-forward {text!r}: give TRAIN:TEST sessions, e.g. 60:20")
    return int(train), int(test)


def spec_sessions(driver: SweepDriver) -> list[Session]:
    """The sessions of the spec's period: from the store it replays, or the simulator's calendar."""
    spec = driver.loaded.spec
    period = Period(spec.start, spec.end, spec.days)
    if driver.data is not None:
        symbols = [s.strip().upper() for s in spec.symbols.split(",")] if spec.symbols else None
        return open_store_for_backtest(
            Path(driver.data), symbols, pick=session_picker(period), period=period.text()
        ).sessions
    cfg = simulator_period(load_model(OptionPilotConfig, None, overrides=driver.loaded.base), period)
    return calendar_for(cfg.market.market).sessions_ending(cfg.market.end, cfg.market.sessions)


@dataclass(frozen=True, slots=True)
class Fold:
    index: int
    train: Window
    test: Window
    chosen: Ranked | None = None
    test_outcome: Outcome | None = None


def folds_of(sessions: list[Session], train: int, test: int) -> list[Fold]:
    out = []
    k = 0
    while k * test + train + test <= len(sessions):
        tr = sessions[k * test : k * test + train]
        te = sessions[k * test + train : k * test + train + test]
        out.append(
            Fold(
                k,
                Window(tr[0].day, tr[-1].day, None, "train", k),
                Window(te[0].day, te[-1].day, None, "test", k),
            )
        )
        k += 1
    if not out:
        raise ConfigError(
            f"--walk-forward {train}:{test}: the period has {len(sessions)} sessions, "
            f"fewer than one fold's {train + test}"
        )
    return out


@dataclass(frozen=True, slots=True)
class WalkForwardReport:
    sweep_id: str
    objective: str
    folds: list[Fold]
    failed: list[Outcome]

    def _figures(self, outcome: Outcome | None, account: str | None) -> dict[str, Any]:
        if outcome is None or account is None:
            return {}
        return outcome.figures.get(account, {})

    def stitched(self, sample: str) -> dict[str, Any]:
        """Compounded return, the worst drawdown, mean Sharpe and total trades over the folds."""
        figs = [
            self._figures(f.chosen.outcome if sample == "in" else f.test_outcome, f.chosen.account)
            for f in self.folds
            if f.chosen is not None
        ]
        growth = math.prod(1.0 + float(x.get("total_return") or 0.0) for x in figs)
        sharpes = [float(x["sharpe"]) for x in figs if x.get("sharpe") is not None]
        return {
            "total_return": growth - 1.0,
            "worst_max_drawdown": max((float(x.get("max_drawdown") or 0.0) for x in figs), default=0.0),
            "mean_sharpe": sum(sharpes) / len(sharpes) if sharpes else None,
            "trades": sum(int(x.get("trades") or 0) for x in figs),
            "folds": len(figs),
        }

    def as_json(self) -> dict[str, Any]:
        folds = []
        for f in self.folds:
            chosen = f.chosen
            account = chosen.account if chosen else None
            folds.append(
                {
                    "fold": f.index,
                    "train": [str(f.train.start), str(f.train.end)],
                    "test": [str(f.test.start), str(f.test.end)],
                    "params": chosen.params if chosen else None,
                    "train_run": chosen.outcome.run_id if chosen else None,
                    "test_run": f.test_outcome.run_id if f.test_outcome else None,
                    "in_sample": self._figures(chosen.outcome if chosen else None, account),
                    "out_of_sample": self._figures(f.test_outcome, account),
                }
            )
        return {
            "sweep_id": self.sweep_id,
            "objective": self.objective,
            "folds": folds,
            "in_sample": self.stitched("in"),
            "out_of_sample": self.stitched("out"),
            "failed": [{"run_id": o.run_id, "params": o.params, "error": o.error} for o in self.failed],
        }

    def lines(self) -> list[str]:
        out = [f"walk-forward {self.sweep_id} by {self.objective}: {len(self.folds)} folds"]
        for f in self.as_json()["folds"]:
            ins, oos = f["in_sample"], f["out_of_sample"]
            out.append(
                f"  fold {f['fold']}: train {f['train'][0]}..{f['train'][1]}"
                f" -> test {f['test'][0]}..{f['test'][1]}"
                f"  {f['params']}  in {_pct(ins.get('total_return'))}  out {_pct(oos.get('total_return'))}"
            )
        for name, label in (("in", "in-sample"), ("out", "out-of-sample")):
            s = self.stitched(name)
            sharpe = "-" if s["mean_sharpe"] is None else f"{s['mean_sharpe']:.2f}"
            out.append(
                f"{label:>14}: return {_pct(s['total_return'])}, worst drawdown "
                f"{s['worst_max_drawdown']:.2%}, mean Sharpe {sharpe}, {s['trades']} trades"
            )
        out.extend(f"failed: {o.run_id} {o.params}: {o.error}" for o in self.failed)
        return out


def _pct(x: Any) -> str:
    return "-" if x is None else f"{float(x):+.2%}"


def run_walk_forward(
    driver: SweepDriver,
    windows: str,
    workers: Workers,
    on_done: Callable[[Outcome], None] | None = None,
) -> WalkForwardReport:
    train, test = parse_windows(windows)
    folds = folds_of(spec_sessions(driver), train, test)
    spec = driver.loaded.spec
    tasks, resumed = driver.plan([f.train for f in folds])
    trained = [*resumed, *driver.execute(tasks, workers, on_done)]
    failed = [o for o in trained if o.status == "failed"]
    chosen: list[Fold] = []
    for f in folds:
        ranked = [r for r in rank([o for o in trained if o.task.fold == f.index], spec) if r.rank is not None]
        chosen.append(Fold(f.index, f.train, f.test, ranked[0] if ranked else None))
    test_tasks, test_outcomes = [], []
    for f in chosen:
        if f.chosen is not None:
            t, r = driver.plan([f.test], [f.chosen.params])
            test_tasks += t
            test_outcomes += r
    test_outcomes += driver.execute(test_tasks, workers, on_done)
    by_fold = {o.task.fold: o for o in test_outcomes}
    failed += [o for o in test_outcomes if o.status == "failed"]
    done = [Fold(f.index, f.train, f.test, f.chosen, by_fold.get(f.index)) for f in chosen]
    return WalkForwardReport(driver.loaded.sweep_id, spec.objective, done, failed)
