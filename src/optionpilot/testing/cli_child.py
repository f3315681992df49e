"""The command line in a child process forked from a warm one (multiprocessing's forkserver), for tests
that kill and restart `optionpilot run` many times: a child costs milliseconds, not an interpreter's
start and imports. The target must live in the package: the forkserver imports it by name."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

PRELOAD = ["optionpilot.cli.main", "optionpilot.app.alpaca_session", "optionpilot.app.live_run"]


def run_cli_child(argv: Sequence[str], env: Mapping[str, str], log: str) -> None:
    """Run `optionpilot ARGV` with `env` added, its output appended to `log`; exit with its code."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.update(env)
    from optionpilot.cli.main import app
    from optionpilot.core import crashpoints

    crashpoints.arm()
    sys.argv = ["optionpilot", *argv]
    try:
        app(list(argv), prog_name="optionpilot")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os._exit(0)
