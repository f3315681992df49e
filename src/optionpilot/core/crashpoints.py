"""Named points in the order lifecycle where the SIGKILL matrix kills the process on purpose.

`OPTIONPILOT_CRASH_AT=point:n` makes the n-th arrival at `point` kill this process with SIGKILL, as a
power cut or the OOM killer would: no handler, no flush, no goodbye. The tests of `run` use it to kill at
each point in turn and prove that a restart neither sends an order twice nor loses a fill. Unset (always,
outside those tests), `crash_point` costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "OPTIONPILOT_CRASH_AT"

POINTS = (
    "order.stored",  # the order is stored as sent, the broker has not been asked
    "order.sent",  # the broker accepted it, we have not stored its answer
    "fill.applied",  # a fill is applied in memory, not stored
    "tick.stored",  # a tick is over, its records written
    "reconciled",  # the start's reconciliation ran, nothing traded yet
)

_armed: dict[str, int] = {}
_seen: dict[str, int] = {}


def arm() -> None:
    """Read the spec from the environment (again: a process forked from a warm one is armed anew)."""
    _armed.clear()
    _seen.clear()
    spec = os.environ.get(ENV, "")
    if not spec:
        return
    point, _, n = spec.partition(":")
    if point in POINTS:
        _armed[point] = int(n) if n.isdigit() and int(n) > 0 else 1


arm()


def crash_point(name: str) -> None:
    if name not in _armed:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= _armed[name]:
        os.kill(os.getpid(), signal.SIGKILL)
