"""`optionpilot sweep SPEC.toml`: one backtest per parameter set, locally or on a Dask cluster, ranked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.app.sweep_rank import Ranked, rank
from optionpilot.app.sweep_runner import (
    Outcome,
    SweepDriver,
    Window,
    Workers,
    dask_executor,
    local_executor,
)
from optionpilot.app.sweep_spec import LoadedSpec, load_spec
from optionpilot.app.sweep_task import SweepTask, config_for
from optionpilot.app.walk_forward import run_walk_forward
from optionpilot.cli.console import make_console
from optionpilot.cli.database_url import prepare_sqlite_folder
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.out_dir import check_writable
from optionpilot.core.clock import LiveClock
from optionpilot.persistence.database import mask_url
from optionpilot.reports.sweep_page import SweepRow, write_sweep_page

console = make_console()
# Progress goes to stderr, so `--json` output on stdout stays a clean document.
progress_console = Console(stderr=True, highlight=False)
_LOCAL = {"127.0.0.1", "localhost", "::1"}

# (header, figure key, format) shown for the scored account.
SHOWN: tuple[tuple[str, str, str], ...] = (
    ("return", "total_return", "{:+.2%}"),
    ("Sharpe", "sharpe", "{:.2f}"),
    ("max DD", "max_drawdown", "{:.2%}"),
    ("trades", "trades", "{:d}"),
    ("win rate", "win_rate", "{:.0%}"),
    ("profit factor", "profit_factor", "{:.2f}"),
)


def score_text(objective: str, score: float | None) -> str:
    shown = {k: f for _, k, f in SHOWN}
    if score is None:
        return "-"
    return shown[objective].format(score) if objective in shown else f"{score:,.4g}"


def _fmt(value: Any, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def sweep(
    spec: Annotated[Path, typer.Argument(help="The sweep's TOML spec (period, seed, objective, [grid])")],
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=256, help="Local processes (default: the cores)")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="A Dask scheduler, tcp://HOST:PORT, instead of local")
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (PostgreSQL for a cluster)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Directory for the sweep's HTML page")] = None,
    walk_forward: Annotated[
        str | None,
        typer.Option(
            "--walk-forward", help="TRAIN:TEST sessions, e.g. 60:20: choose on train, score on test"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per parameter set, ranked")
    ] = False,
) -> None:
    """Run every parameter set of SPEC as its own backtest (recorded as a run of the sweep), then rank them.
    Running the same spec again resumes it: runs already done are skipped."""
    with one_line_errors():
        loaded = load_spec(spec)
        over: dict[str, Any] = {
            "run": {k: v for k, v in (("db", db), ("out", str(out) if out else None)) if v}
        }
        cfg = load_model(OptionPilotConfig, loaded.base_path, overrides=over)
        url, out_dir = cfg.run.db, Path(cfg.run.out)
        check_writable(out_dir)
        if cluster is not None:
            _check_cluster(cluster, url)
        _check_sets(loaded, url, str(out_dir))
        prepare_sqlite_folder(url)
        driver = SweepDriver(loaded, url, str(out_dir), LiveClock())
        try:
            n = workers or os.cpu_count() or 1
            with _executor(cluster, n) as pool:
                if walk_forward is not None:
                    report = run_walk_forward(driver, walk_forward, pool, _progress_hook())
                    _done(report.lines(), report.as_json(), as_json)
                    return
                tasks, resumed = driver.plan([Window(loaded.spec.start, loaded.spec.end, loaded.spec.days)])
                with _progress(len(tasks), len(resumed)) as advance:
                    outcomes = driver.execute(tasks, pool, advance)
        finally:
            driver.close()
        ranked = rank([*resumed, *outcomes], loaded.spec)
        page = write_sweep_page(loaded.sweep_id, loaded.spec.objective, _page_rows(ranked), out_dir)
    if as_json:
        typer.echo(json.dumps([_json_row(r) for r in ranked], indent=2, default=str))
    else:
        _print(loaded, ranked, url)
        console.print(f"heat map and table: [bold]{page}[/]")
    if any(r.outcome.status == "failed" for r in ranked):
        raise typer.Exit(1)


def _check_cluster(address: str, url: str) -> None:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.hostname is None or parsed.port is None:
        fail(f"--cluster {address!r}: give the scheduler as tcp://HOST:PORT")
    if url.startswith("sqlite") and parsed.hostname not in _LOCAL:
        fail(
            f"--cluster {address}: workers on other machines cannot share SQLite; give --db postgresql+psycopg://..."
        )


def _check_sets(loaded: LoadedSpec, url: str, out: str) -> None:
    """Every parameter set makes a valid configuration, before any backtest starts (one line otherwise)."""
    spec = loaded.spec
    for params in loaded.parameter_sets():
        task = SweepTask(
            0, "", params, "grid", None, "", loaded.base, url, out, spec.seed, spec.start, spec.end,
            spec.days, spec.symbols, spec.flow,
        )  # fmt: skip
        config_for(task)


@contextmanager
def _executor(cluster: str | None, workers: int) -> Iterator[Workers]:
    if cluster is None:
        with local_executor(workers) as pool:
            yield pool
        return
    with dask_executor(cluster if "://" in cluster else f"tcp://{cluster}") as remote:
        yield remote


@contextmanager
def _progress(total: int, resumed: int) -> Iterator[Any]:
    if resumed:
        progress_console.print(f"resuming: {resumed} parameter sets already done, {total} to run")
    with Progress(
        TextColumn("[bold]sweep[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("backtests"),
        TimeElapsedColumn(), console=progress_console, transient=False,
    ) as progress:  # fmt: skip
        task = progress.add_task("sweep", total=total)

        def advance(_: Outcome) -> None:
            progress.advance(task)

        yield advance


def _progress_hook() -> Any:
    def said(outcome: Outcome) -> None:
        progress_console.print(
            f"  {outcome.task.role} fold {outcome.task.fold}: {outcome.run_id} {outcome.status}"
        )

    return said


def _page_rows(ranked: list[Ranked]) -> list[SweepRow]:
    rows = []
    for r in ranked:
        figs = r.outcome.figures.get(r.account or "", {})
        note = r.outcome.error or ("beyond the drawdown cap" if r.capped else "")
        rows.append(
            SweepRow(
                r.rank, {k: str(v) for k, v in r.params.items()}, r.outcome.run_id, r.score,
                {h: _fmt(figs.get(k), f) for h, k, f in SHOWN}, note,
            )
        )  # fmt: skip
    return rows


def _json_row(r: Ranked) -> dict[str, Any]:
    return {
        "rank": r.rank,
        "params": r.params,
        "run_id": r.outcome.run_id,
        "status": r.outcome.status,
        "score": r.score,
        "account": r.account,
        "figures": r.outcome.figures,
        "error": r.outcome.error,
    }


def _print(loaded: LoadedSpec, ranked: list[Ranked], url: str) -> None:
    spec = loaded.spec
    keys = list(spec.grid)
    table = Table(title=f"sweep {loaded.sweep_id}: {len(ranked)} parameter sets by {spec.objective}")
    for col in ["rank", *keys, spec.objective, *(h for h, _, _ in SHOWN), "run"]:
        table.add_column(col, justify="left" if col == "run" else "right")
    for row in _page_rows(ranked):
        score = score_text(spec.objective, row.score)
        table.add_row(
            "-" if row.rank is None else str(row.rank), *(row.params[k] for k in keys), score,
            *row.figures.values(), row.run_id + (f" ({row.note})" if row.note else ""),
        )  # fmt: skip
    console.print(table)
    console.print(
        f"stored in {mask_url(url)}; `optionpilot runs list --sweep {loaded.sweep_id}` lists the runs"
    )


def _done(lines: list[str], payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    for line in lines:
        console.print(line, markup=False, highlight=False)
