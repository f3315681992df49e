"""Sweep work that kills its own worker process, to test that the driver retries a dead worker's task once
and then reports it. Picklable top-level functions (the local pool spawns fresh interpreters)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from optionpilot.app.sweep_task import SweepTask, TaskResult, run_task

# Parameter sets whose first worker dies (`dies` = "once") or whose every worker dies ("always").
FAULT_KEY = "fault"


def die_or_run(task: SweepTask) -> TaskResult:
    fault = task.params.get(FAULT_KEY)
    marker = Path(task.out) / f"died-{task.param_key}"
    if fault == "always" or (fault == "once" and not marker.exists()):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(task.run_id)
        os._exit(17)  # as a killed worker: no exception, no cleanup
    clean = {k: v for k, v in task.params.items() if k != FAULT_KEY}
    return run_task(replace(task, params=clean))
