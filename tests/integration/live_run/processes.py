"""`optionpilot run` in child processes forked from a warm server, so a kill and a restart cost
milliseconds, not the seconds of a fresh interpreter's imports; each child is the real command line."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from optionpilot.testing.cli_child import PRELOAD, run_cli_child


@dataclass(frozen=True, slots=True)
class Outcome:
    exitcode: int | None
    timed_out: bool

    @property
    def killed(self) -> bool:
        return self.exitcode == -signal.SIGKILL


class Runner:
    def __init__(self, log: Path) -> None:
        self.ctx = multiprocessing.get_context("forkserver")
        self.ctx.set_forkserver_preload(PRELOAD)
        self.log = log

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        timeout_s: float,
        *,
        terminate_after_s: float | None = None,
    ) -> Outcome:
        """Run to its end, or SIGKILL it after `timeout_s` (a kill at whatever point it had reached);
        with `terminate_after_s`, send it SIGTERM then, as an operator or a service manager would."""
        p = self.ctx.Process(target=run_cli_child, args=(list(argv), dict(env), str(self.log)))
        p.start()
        if terminate_after_s is not None:
            p.join(terminate_after_s)
            if p.is_alive():
                os.kill(p.pid or 0, signal.SIGTERM)
        p.join(timeout_s)
        timed_out = p.is_alive()
        if timed_out:
            os.kill(p.pid or 0, signal.SIGKILL)
            p.join(10)
        return Outcome(p.exitcode, timed_out)
