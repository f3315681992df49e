"""A process to kill: opens a database (the first migration) or runs a small backtest, then says done.

`python -m optionpilot.testing.crash_driver URL migrate|claim|backtest [--kill-after REGEX N] [--tpt K]`

`--kill-after` makes the process SIGKILL itself right after the N-th SQL statement matching REGEX has
run (inside its transaction, before any commit): a kill at a chosen point, with no hook in the product.
It prints `opening` just before it touches the database, `run <id>` once its run has an id, and `done`.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

SEED = 3
SYMBOL = "SPY"


def _kill_after(pattern: str, nth: int) -> None:
    wanted = re.compile(pattern, re.IGNORECASE)
    seen = 0

    def after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        nonlocal seen
        if wanted.search(statement):
            seen += 1
            if seen == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    event.listen(sa.engine.Engine, "after_cursor_execute", after)


def _migrate(url: str) -> None:
    from optionpilot.persistence.recorder import SqlRecorder

    SqlRecorder(url).close()


def _claim(url: str) -> None:
    """The start of a run alone: claim an id, store the accounts with their deposits, finish."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from optionpilot.core.ids import AccountId
    from optionpilot.domain.accounts import LedgerEntry, LedgerKind
    from optionpilot.persistence.recorder import SqlRecorder
    from optionpilot.ports.recorder import RunInfo, TickRecords

    t0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
    cash = Decimal("1000")
    aid = AccountId("main")
    base = RunInfo("claim", "backtest", t0, SEED, "{}", [(aid, "main", cash, "USD")])
    with SqlRecorder(url) as rec:
        names = ("claim" if n == 1 else f"claim-{n}" for n in range(1, 10_000))
        info = rec.claim_run(base, names)
        print(f"run {info.run_id}", flush=True)
        rec.start_run(info)
        deposit = LedgerEntry(aid, t0, LedgerKind.DEPOSIT, cash, "deposit", "starting cash")
        rec.record(TickRecords(t0, ledger=[deposit]))
        rec.finish_run(info.run_id, t0, "{}")


def _backtest(url: str, ticks_per_transaction: int) -> None:
    from optionpilot.app.backtest import build_backtest
    from optionpilot.persistence.database import DatabaseConfig
    from optionpilot.persistence.recorder import SqlRecorder
    from optionpilot.testing.backtests import backtest_config

    cfg = backtest_config(url, run={"seed": SEED}, market={"sessions": 1})
    cfg = cfg.model_copy(update={"market": cfg.market.only([SYMBOL])})
    rec = SqlRecorder(url, DatabaseConfig(url=url, ticks_per_transaction=ticks_per_transaction))
    bt = build_backtest(cfg, recorder=rec)
    print(f"run {bt.run_id}", flush=True)
    bt.runner.run()
    rec.close()


def main(argv: list[str]) -> int:
    url, mode = argv[0], argv[1]
    rest = argv[2:]
    tpt = 1
    while rest:
        flag = rest.pop(0)
        if flag == "--kill-after":
            _kill_after(rest.pop(0), int(rest.pop(0)))
        elif flag == "--tpt":
            tpt = int(rest.pop(0))
        else:
            print(f"crash_driver: unknown flag {flag}", file=sys.stderr)
            return 2
    print("opening", flush=True)
    if mode == "migrate":
        _migrate(url)
    elif mode == "claim":
        _claim(url)
    elif mode == "backtest":
        _backtest(url, tpt)
    else:
        print(f"crash_driver: unknown mode {mode}", file=sys.stderr)
        return 2
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
