"""A worker process that dies: its task is retried once on a fresh pool; dying again, it is reported."""

from __future__ import annotations

from pathlib import Path

from optionpilot.app.sweep_runner import SweepDriver, Window, local_executor
from optionpilot.app.sweep_spec import load_spec
from optionpilot.core.clock import LiveClock
from optionpilot.persistence.read_models import ReadModels
from optionpilot.testing.sweep_faults import die_or_run


def test_a_dead_worker_is_retried_once_then_reported(tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('days = 1\nseed = 3\nsymbols = "SPY"\n[grid]\nfault = ["once", "always", "none"]\n')
    db = f"sqlite:///{tmp_path / 'sweep.db'}"
    driver = SweepDriver(load_spec(spec), db, str(tmp_path / "out"), LiveClock())
    try:
        tasks, resumed = driver.plan([Window(days=1)])
        assert len(tasks) == 3 and not resumed
        with local_executor(1) as pool:
            outcomes = driver.execute(tasks, pool, work=die_or_run)
    finally:
        driver.close()
    by_fault = {o.params["fault"]: o for o in outcomes}
    assert by_fault["once"].status == "done" and by_fault["none"].status == "done"
    assert by_fault["once"].run_id.endswith("-2")  # the dead attempt's id is not reused
    failed = by_fault["always"]
    assert failed.status == "failed" and failed.error is not None and "failed twice" in failed.error
    assert "BrokenProcessPool" in failed.error
    models = ReadModels.from_url(db)
    try:
        completed = {r.run_id for r in models.runs() if r.status == "completed"}
    finally:
        models.engine.dispose()
    assert {by_fault["once"].run_id, by_fault["none"].run_id} <= completed
