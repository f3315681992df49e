"""`optionpilot backtest`: the main job, on the built-in simulator by default."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from optionpilot.adapters.sim.scenarios import SCENARIOS
from optionpilot.app.backtest import build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.periods import Period, check, parse_day, simulator_period
from optionpilot.app.replay import replay_source
from optionpilot.app.report_data import report_data
from optionpilot.app.run_records import record_figures
from optionpilot.app.settings import load_model
from optionpilot.cli.console import make_console, print_reconciliation
from optionpilot.cli.database_url import prepare_sqlite_folder
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.out_dir import check_writable
from optionpilot.engine.pipeline import FLOWS, MAIN_ONLY, Flow
from optionpilot.engine.ticker import Tick
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.reports.html import state_change_lines, summary_rows, write_report

_FLOWS: dict[str, tuple[Flow, ...]] = {"both": FLOWS, "main": MAIN_ONLY, "multileg": ("multileg",)}

console = make_console()


def _overrides(
    days: int | None,
    scenario: str | None,
    seed: int | None,
    db: str | None,
    out: Path | None,
) -> dict[str, Any]:
    over: dict[str, Any] = {}
    if days is not None:
        over.setdefault("market", {})["sessions"] = days
    if scenario is not None:
        if scenario not in SCENARIOS:
            fail(f"--scenario {scenario!r}: choose {', '.join(SCENARIOS)}")
        over.setdefault("market", {})["scenario"] = {"kind": scenario}
    if seed is not None:
        over.setdefault("run", {})["seed"] = seed
    if db is not None:
        over.setdefault("run", {})["db"] = db
    if out is not None:
        over.setdefault("run", {})["out"] = str(out)
    return over


def backtest(
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=400, help="Sessions of 1-minute bars")
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option("--symbols", help="Comma-separated underlyings, e.g. SPY,QQQ (default: all 10)"),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed of the simulator")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML configuration file")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (SQLite default, PostgreSQL)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Directory for the HTML report")] = None,
    flow: Annotated[
        str,
        typer.Option(
            "--flow",
            help="both (default): both flows on the same accounts; main: the intraday single-leg flow "
            "alone; multileg: the scanned multi-leg strategies alone",
        ),
    ] = "both",
    news: Annotated[
        Path | None, typer.Option("--news", help="A timestamped news file (CSV or JSON Lines) to trade on")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Replay real data: a store made by `data import`, or raw files to import first"
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--start", help="First day (YYYY-MM-DD); sessions come from the exchange calendar"),
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day (YYYY-MM-DD), inclusive")] = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="A stress scenario on the simulator: crash (a -10% day with an IV spike on the 3rd "
            "session), gap (a -6% overnight gap into the 3rd), halt (no trade or quote for 75 minutes on "
            "the 3rd) or calm (a quiet market)",
        ),
    ] = None,
) -> None:
    """Run the whole flow over simulated sessions for every configured account, then write a report."""
    with one_line_errors():
        if scenario is not None and data is not None:
            fail("--scenario transforms the simulator; it cannot apply to --data")
        period = Period(
            parse_day(start, "--start") if start is not None else None,
            parse_day(end, "--end") if end is not None else None,
            days,
        )
        check(period)
        overrides = _overrides(None if period.given else days, scenario, seed, db, out)
        if news is not None:
            overrides.setdefault("run", {})["news"] = str(news)
        cfg = load_model(OptionPilotConfig, config, overrides=overrides)
        if symbols is not None and data is None:
            wanted = [s.strip().upper() for s in symbols.split(",") if s.strip()]
            if not wanted:
                fail("--symbols names no symbol")
            cfg = cfg.model_copy(update={"market": cfg.market.only(wanted)})
        check_writable(Path(cfg.run.out))
        prepare_sqlite_folder(cfg.run.db)
        source = None
        if data is not None:
            source, cfg = replay_source(data, cfg, symbols, console, period)
        else:
            cfg = simulator_period(cfg, period)
        flows = _FLOWS.get(flow)
        if flows is None:
            fail(f"--flow {flow!r}: choose both, main or multileg")
        bt = build_backtest(cfg, source=source, flows=flows)
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]backtest[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("minutes"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("run", total=bt.ticker.total)

            def advance(_: Tick) -> None:
                progress.advance(task)

            try:
                result = bt.runner.run(on_tick=advance)
            except Exception as exc:
                # The run row says failed with the error's line; a kill instead leaves it to be found dead.
                if isinstance(bt.recorder, SqlRecorder):
                    bt.recorder.fail_run(exc)
                raise
            finally:
                bt.notifier.close()  # what is queued for the webhook gets its bounded chance
        elapsed = time.perf_counter() - started
        report_input = report_data(cfg, bt.run_id)
        record_figures(cfg.run.db, bt.run_id, report_input)  # for `runs list` and `runs compare`
        path = write_report(report_input, Path(cfg.run.out), cfg.report)
    _print_summary(data_rows=summary_rows(report_input, cfg.report))
    if report_input.scenario:
        console.print(f"scenario: [bold]{report_input.scenario}[/]")
    changes = state_change_lines(report_input)
    console.print(f"trading state changes: {len(changes)}" + (":" if changes else ""))
    for line in changes:
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"{result.bar_events:,} bar-events in {elapsed:.1f}s "
        f"({result.bar_events / max(elapsed, 1e-9):,.0f}/s); "
        f"run [bold]{bt.run_id}[/] ({report_input.status}) stored in {_masked(cfg.run.db)}"
    )
    print_reconciliation(console, result.reconciliation)
    console.print(bt.alerts.summary())
    console.print(f"report: [bold]{path}[/]")
    if not result.reconciled:
        raise typer.Exit(1)


def _print_summary(data_rows: list[dict[str, str]]) -> None:
    if not data_rows:
        return
    table = Table(title="Accounts", show_lines=False)
    for key in data_rows[0]:
        table.add_column(key, justify="left" if key == "Account" else "right")
    for row in data_rows:
        table.add_row(*row.values())
    console.print(table)


def _masked(url: str) -> str:
    from optionpilot.persistence.database import mask_url

    return mask_url(url)
