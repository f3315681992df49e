"""Driving a sweep: plan its backtests (skipping those a previous attempt finished), run them through a
`concurrent.futures` executor (a local process pool, or Dask's distributed executor), retry a task whose
worker died once, and tie every finished run to the sweep.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from optionpilot.app.replay import ensure_store
from optionpilot.app.sweep_spec import LoadedSpec, Value, param_key
from optionpilot.app.sweep_task import SweepTask, TaskResult, run_task
from optionpilot.core.clock import Clock
from optionpilot.core.errors import ConfigError, OptionPilotError
from optionpilot.persistence.migrate import upgrade
from optionpilot.persistence.read_models import ReadModels
from optionpilot.persistence.research_store import ResearchStore


class SweepInterrupted(OptionPilotError):
    """Ctrl-C: the finished runs are stored; running the same sweep again resumes it."""


@dataclass(frozen=True, slots=True)
class Outcome:
    task: SweepTask
    status: str  # done | resumed (finished before) | failed
    run_id: str
    figures: dict[str, dict[str, Any]]
    error: str | None = None

    @property
    def params(self) -> dict[str, Value]:
        return self.task.params


@dataclass(frozen=True, slots=True)
class Window:
    """The period of one set of backtests: the spec's own, or a walk-forward fold's train or test part."""

    start: Any = None  # date | None
    end: Any = None
    days: int | None = None
    role: str = "grid"
    fold: int | None = None

    def key(self) -> tuple[str, str]:
        return (str(self.start), f"{self.end}/{self.days}")


def quiet_worker() -> None:
    """A worker's alerts and warnings would interleave on the driver's terminal; they are in each run's
    records. Errors still print."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


class Workers:
    """An executor and how many tasks to keep in it. A local process pool is renewed after a worker dies
    (a broken pool takes no more work); Dask replaces its workers itself."""

    def __init__(self, executor: Executor, capacity: int, make: Callable[[], Executor] | None = None) -> None:
        self.executor = executor
        self.capacity = capacity
        self._make = make

    def renew(self) -> None:
        if self._make is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._make()


@contextmanager
def local_executor(workers: int) -> Iterator[Workers]:
    def make() -> Executor:
        # spawn: a fresh interpreter per worker; forking a driver whose progress bar runs a thread is unsafe.
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=quiet_worker
        )

    pool = Workers(make(), workers, make)
    try:
        yield pool
    finally:
        pool.executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def dask_executor(address: str, timeout_s: float = 10.0) -> Iterator[Workers]:
    """Dask's `concurrent.futures` executor on the scheduler at `address` (the [research] extra)."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--cluster needs Dask: pip install 'optionpilot[research]'") from None
    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise ConfigError(f"--cluster {address}: no Dask scheduler answers ({exc})") from None
    try:
        executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
        # Keep every task queued at the scheduler, which spreads them over its workers as they free up.
        yield Workers(executor, 10_000)
    finally:
        client.close()  # type: ignore[no-untyped-call]


class SweepDriver:
    def __init__(self, loaded: LoadedSpec, db: str, out: str, clock: Clock) -> None:
        self.loaded = loaded
        self.db = db
        self.out = out
        self.clock = clock
        upgrade(db)
        self._models = ReadModels.from_url(db)
        self.store = ResearchStore(self._models.engine)
        spec = loaded.spec
        self.store.ensure_sweep(
            loaded.sweep_id, clock.now(), spec.objective, spec.model_dump(mode="json") | {"base": loaded.base}
        )
        self._taken = {r.run_id for r in self._models.runs()}
        self._next_index = 0
        # Raw files are imported once, here, not by every worker at the same time.
        data = loaded.data_path()
        self.data = str(ensure_store(data, Path(out))) if data is not None else None

    def close(self) -> None:
        self._models.engine.dispose()

    def plan(
        self, windows: list[Window], sets: list[dict[str, Value]] | None = None
    ) -> tuple[list[SweepTask], list[Outcome]]:
        """Tasks to run, and the outcomes of those a previous attempt already finished."""
        spec = self.loaded.spec
        done = {
            r.param_key: r for r in self.store.sweep_runs(self.loaded.sweep_id) if r.status == "completed"
        }
        figures = self.store.figures([r.run_id for r in done.values()])
        tasks: list[SweepTask] = []
        resumed: list[Outcome] = []
        for window in windows:
            for params in sets if sets is not None else self.loaded.parameter_sets():
                key = param_key(params, window.key(), window.role, spec.seed)
                task = SweepTask(
                    index=self._next_index, param_key=key, params=params, role=window.role, fold=window.fold,
                    run_id="", base=self.loaded.base, db=self.db, out=self.out, seed=spec.seed,
                    start=window.start, end=window.end, days=window.days, symbols=spec.symbols,
                    flow=spec.flow, data=self.data,
                )  # fmt: skip
                self._next_index += 1
                prior = done.get(key)
                if prior is not None and prior.run_id in figures:
                    task = replace(task, run_id=prior.run_id)
                    resumed.append(Outcome(task, "resumed", prior.run_id, figures[prior.run_id]))
                else:
                    tasks.append(replace(task, run_id=self._fresh_id(self.base_id(task))))
        return tasks, resumed

    def base_id(self, task: SweepTask) -> str:
        return f"{self.loaded.sweep_id}-{task.param_key[:8]}"

    def _fresh_id(self, base: str) -> str:
        """`base`, or base-2, base-3...: an earlier failed or killed attempt keeps its own run."""
        rid, n = base, 1
        while rid in self._taken:
            n += 1
            rid = f"{base}-{n}"
        self._taken.add(rid)
        return rid

    def execute(
        self,
        tasks: list[SweepTask],
        workers: Workers,
        on_done: Callable[[Outcome], None] | None = None,
        work: Callable[[SweepTask], TaskResult] = run_task,
    ) -> list[Outcome]:
        """Run `tasks`, at most `workers.capacity` at a time; a task whose worker fails is retried once under
        a new run id. Ctrl-C cancels what has not started and raises SweepInterrupted."""
        pending = deque(tasks)
        tries: dict[int, int] = {}
        running: dict[Future[TaskResult], SweepTask] = {}
        outcomes: list[Outcome] = []
        broken = False

        def finish(outcome: Outcome) -> None:
            outcomes.append(outcome)
            if on_done is not None:
                on_done(outcome)

        try:
            while pending or running:
                while pending and len(running) < workers.capacity:
                    task = pending.popleft()
                    tries[task.index] = tries.get(task.index, 0) + 1
                    running[workers.executor.submit(work, task)] = task
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:  # a worker that died, or a crash inside the backtest
                        if isinstance(exc, BrokenProcessPool) and not broken:
                            broken = True
                        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                        if tries[task.index] < 2:
                            pending.append(replace(task, run_id=self._fresh_id(self.base_id(task))))
                        else:
                            finish(Outcome(task, "failed", task.run_id, {}, f"failed twice: {reason}"))
                        continue
                    finish(self._record(task, result))
                if broken and not running:
                    # Every task the dead pool held has failed by now and is queued again (or reported).
                    workers.renew()
                    broken = False
        except KeyboardInterrupt:
            for future in running:
                future.cancel()
            left = len(pending) + len(running)
            raise SweepInterrupted(
                f"sweep {self.loaded.sweep_id} interrupted: {len(outcomes)} backtests done, {left} left; "
                "run the same command again to resume"
            ) from None
        return outcomes

    def _record(self, task: SweepTask, result: TaskResult) -> Outcome:
        if result.error is not None:
            return Outcome(task, "failed", result.run_id, {}, result.error)
        self.store.link(
            self.loaded.sweep_id, task.param_key, result.run_id, task.params, task.role, task.fold
        )
        return Outcome(task, "done", result.run_id, result.figures)
