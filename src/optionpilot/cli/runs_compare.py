"""`optionpilot runs compare ID ID...` (side by side, with the configuration differences) and
`runs report ID` (the HTML report again, from the database alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from optionpilot.app.report_data import report_data
from optionpilot.app.run_records import figures_for, flow_of, period_of, run_config
from optionpilot.cli.console import make_console
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.out_dir import check_writable
from optionpilot.cli.runs_access import ConfigOpt, DbOpt, JsonOpt, config_at, models_at, table
from optionpilot.persistence.database import mask_url
from optionpilot.persistence.read_models import ReadModels, RunRow
from optionpilot.persistence.research_store import ResearchStore
from optionpilot.reports.html import write_report

console = make_console()

# What differs between any two runs and says nothing about the strategy.
_NOT_CONFIG = ("run.db", "run.out", "run.title")

# (label, key, format) of each figure, per account.
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("final equity", "final_equity", "money"),
    ("net P&L", "net_pnl", "money"),
    ("return", "total_return", "{:+.2%}"),
    ("Sharpe", "sharpe", "{:.2f}"),
    ("Sortino", "sortino", "{:.2f}"),
    ("max drawdown", "max_drawdown", "{:.2%}"),
    ("trades", "trades", "{:d}"),
    ("win rate", "win_rate", "{:.1%}"),
    ("profit factor", "profit_factor", "{:.2f}"),
    ("fees", "fees", "money"),
)


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if fmt == "money":
        return f"{float(value):,.2f}"
    return fmt.format(value)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaf values (lists are leaves: a list of accounts compares as a whole)."""
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for key, value in data.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def config_differences(configs: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Dotted keys whose values are not the same in every run, in key order."""
    flat = [flatten(c) for c in configs]
    keys = sorted(set().union(*flat)) if flat else []
    out: dict[str, list[Any]] = {}
    for key in keys:
        if key.startswith(_NOT_CONFIG):
            continue
        values = [f.get(key) for f in flat]
        if any(v != values[0] for v in values[1:]):
            out[key] = values
    return out


def _find(models: ReadModels, url: str, run_ids: list[str]) -> list[RunRow]:
    known = {r.run_id: r for r in models.runs()}
    missing = [r for r in run_ids if r not in known]
    if missing:
        fail(f"run {', '.join(missing)} not in {mask_url(url)}; `optionpilot runs list` shows the runs")
    return [known[r] for r in run_ids]


def compare(
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids (see `optionpilot runs list`)")],
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Runs side by side: status, flow, period, each account's headline figures, and the settings that
    differ between them (a sweep's parameters among them)."""
    with one_line_errors():
        if len(run_ids) < 2:
            fail("runs compare needs two or more run ids")
        url = config_at(config, db).run.db
        with models_at(url) as models:
            runs = _find(models, url, run_ids)
            sweeps = ResearchStore(models.engine).sweep_of(run_ids)
            payload = []
            for run in runs:
                cfg = run_config(run, url)
                payload.append(
                    {
                        "run_id": run.run_id,
                        "status": run.status,
                        "seed": run.seed,
                        "flow": flow_of(run),
                        "period": period_of(run, cfg),
                        "sweep": sweeps.get(run.run_id, (None, {}))[0],
                        "figures": figures_for(models, run, url),
                        "config": json.loads(run.config_json or "{}"),
                    }
                )
    diffs = config_differences([p["config"] for p in payload])
    if as_json:
        out = [{k: v for k, v in p.items() if k != "config"} for p in payload]
        typer.echo(json.dumps({"runs": out, "differences": diffs}, indent=2, default=str))
        return
    _print(payload, diffs)


def _print(payload: list[dict[str, Any]], diffs: dict[str, list[Any]]) -> None:
    columns = ("", *(p["run_id"] for p in payload))
    rows: list[tuple[str, ...]] = [
        (key, *(str(p[key]) if p[key] is not None else "-" for p in payload))
        for key in ("status", "flow", "period", "seed", "sweep")
    ]
    accounts = sorted({(a, f["name"]) for p in payload for a, f in p["figures"].items()})
    for account_id, name in accounts:
        for label, key, fmt in FIGURES:
            cells = [_cell(p["figures"].get(account_id, {}).get(key), fmt) for p in payload]
            rows.append((f"{name}: {label}", *cells))
    console.print(table("runs side by side", columns, rows))
    if not diffs:
        console.print("configuration: the same in every run")
        return
    console.print(
        table(
            "configuration differences",
            ("setting", *(p["run_id"] for p in payload)),
            [(key, *(json.dumps(v, default=str) for v in values)) for key, values in diffs.items()],
        )
    )


def report(
    run_id: Annotated[str, typer.Argument(help="The run's id (see `optionpilot runs list`)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for the HTML report (default: the run's)")
    ] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write the run's HTML report again from the database alone (its stored configuration and records)."""
    with one_line_errors():
        url = config_at(config, db).run.db
        with models_at(url) as models:
            (run,) = _find(models, url, [run_id])
            cfg = run_config(run, url)
            target = out if out is not None else Path(cfg.run.out)
            check_writable(target, "--out")
            data = report_data(cfg, run_id)
        path = write_report(data, target, cfg.report)
    console.print(f"report: [bold]{path}[/]")
