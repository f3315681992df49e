"""Crash points: the n-th arrival kills the process with SIGKILL; unset, nothing happens."""

from __future__ import annotations

import signal
import subprocess
import sys

from optionpilot.core.crashpoints import ENV, POINTS, crash_point

SCRIPT = """
import sys
from optionpilot.core.crashpoints import crash_point
for i in range(3):
    print(i, flush=True)
    crash_point("order.sent")
"""


def _run(spec: str) -> subprocess.CompletedProcess[str]:
    env = {ENV: spec, "PATH": ""}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_nth_arrival_kills_the_process() -> None:
    done = _run("order.sent:2")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["0", "1"]


def test_an_unknown_point_or_no_spec_kills_nothing() -> None:
    assert _run("no.such.point:1").returncode == 0
    assert _run("").returncode == 0
    crash_point("order.sent")  # this test process has no spec: it lives on


def test_the_points_are_named_once() -> None:
    assert len(set(POINTS)) == len(POINTS)
