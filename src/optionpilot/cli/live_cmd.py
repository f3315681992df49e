"""`optionpilot run --broker alpaca [--paper|--live]`: a broker account, all day, under the operator.

SIGTERM or Ctrl-C stops sending new orders: the current tick finishes, the run is reconciled and marked
finished, and the process exits 0. A second Ctrl-C stops at once (the run is then marked failed; a
restart reconciles it). A SIGKILL leaves the run as it was at its last committed tick: the next start
resumes it and reconciles with the broker before it trades.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import time as day_time
from pathlib import Path
from types import FrameType

import typer

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.live_run import LiveRun, build_live_run
from optionpilot.cli.console import make_console, print_reconciliation
from optionpilot.cli.errors import fail
from optionpilot.cli.live_view import LiveView, account_line
from optionpilot.core.errors import ConfigError
from optionpilot.core.secrets import mask_log_records
from optionpilot.engine.pipeline import Flow
from optionpilot.persistence.database import mask_url

console = make_console()
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def parse_until(text: str | None) -> day_time | None:
    if text is None:
        return None
    try:
        return day_time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--until {text!r}: give the exchange's local time as HH:MM") from None


@contextmanager
def stop_on_signals(run: LiveRun) -> Iterator[None]:
    """SIGTERM and the first Ctrl-C ask the run to stop between ticks; a second Ctrl-C interrupts."""

    def ask(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if name == "SIGINT" and run.stop_requested:
            raise KeyboardInterrupt
        run.request_stop(f"{name}: stopped by the operator")
        console.print(f"{name}: no new orders; finishing the current step (Ctrl-C again to stop at once)")

    before = {s: signal.signal(s, ask) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


@contextmanager
def log_to(path: Path) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--log {path}: cannot write there: {exc.strerror}") from None
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    mask_log_records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def run_live(
    cfg: OptionPilotConfig,
    broker: str,
    *,
    live: bool,
    account: str | None,
    flows: Collection[Flow],
    sessions: int | None,
    until: str | None,
    symbols: list[str] | None,
    log: Path | None,
) -> None:
    if broker != "alpaca":
        fail(f"--broker {broker}: no {broker} adapter ships yet (issue 18); use --broker sim or alpaca")
    from optionpilot.app.alpaca_session import connect_alpaca

    stop_at = parse_until(until)
    session = connect_alpaca(cfg, dict(os.environ), live=live, symbols=symbols)
    try:
        run = build_live_run(
            cfg, session, account_name=account, flows=flows, max_sessions=sessions, until=stop_at
        )
        if live:
            console.print(
                f"[bold white on red] LIVE TRADING: real money on Alpaca account {session.account_label}, "
                f"equity {session.equity:,.2f} [/]"
            )
        else:
            console.print(f"paper trading on Alpaca account {session.account_label}")
        resumed = "resumed" if not run.created else "new"
        log_path = log or Path("logs") / f"{run.run_id}.log"
        console.print(
            f"run [bold]{run.run_id}[/] ({resumed}), account {run.account.name}, stored in "
            f"{mask_url(cfg.run.db)}, log {log_path}; stop it with Ctrl-C or `optionpilot kill`"
        )
        _drive(run, log_path)
    finally:
        session.close()


def _drive(run: LiveRun, log_path: Path) -> None:
    started = time.perf_counter()
    runner = run.engine.runner
    with log_to(log_path), stop_on_signals(run), LiveView(run, console) as view:
        try:
            result = runner.run(on_tick=view.on_tick)
            run.record_health()
        except KeyboardInterrupt:
            run.recorder.fail_run(RuntimeError("interrupted by the operator (second Ctrl-C)"))
            fail(f"run {run.run_id} interrupted; a restart resumes it and reconciles with the broker first")
        except Exception as exc:
            run.recorder.fail_run(exc)
            raise
        finally:
            run.notifier.close()
    why = "; ".join(run.stop_requested) or run.ticker.ended_by or "done"
    console.print(
        f"run [bold]{run.run_id}[/] ended ({why}): {result.ticks:,} ticks in "
        f"{time.perf_counter() - started:.1f}s; {account_line(run)}"
    )
    stats = run.session.request_stats()
    if stats:
        console.print(
            f"broker requests: {int(stats.get('sent', 0))}, most in any minute "
            f"{int(stats.get('most_in_a_minute', 0))} (limit {int(stats.get('per_minute', 0))}), "
            f"throttled {int(stats.get('throttled', 0))}"
        )
    print_reconciliation(console, result.reconciliation)
    if not result.reconciled:
        raise typer.Exit(1)
