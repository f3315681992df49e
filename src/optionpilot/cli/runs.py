"""`optionpilot runs list | show RUN_ID`: the stored runs, and one run through the database's analytical views
(performance by strategy, the daily summary, the option legs still open) per account. `compare` and
`report` live in `cli.runs_compare`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.run_records import figures_for, flow_of, period_of, run_config
from optionpilot.cli.console import make_console
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.runs_access import ConfigOpt, DbOpt, JsonOpt, config_at, models_at, num, table, when
from optionpilot.cli.runs_compare import compare, report
from optionpilot.core.calendars import MARKETS
from optionpilot.core.errors import ConfigError
from optionpilot.persistence.database import mask_url
from optionpilot.persistence.read_models import ReadModels, RunRow
from optionpilot.persistence.research_store import ResearchStore

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Stored runs: list, show, compare, report again."
)
app.command("compare")(compare)
app.command("report")(report)
console = make_console()


@app.command("list")
def list_runs(
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    sweep: Annotated[str | None, typer.Option("--sweep", help="Only the runs of this sweep")] = None,
) -> None:
    """Every run in the database, oldest first: status, flow, period, accounts and headline figures."""
    with one_line_errors():
        url = config_at(config, db).run.db
        with models_at(url) as models:
            runs = models.runs()
            if sweep is not None:
                members = {r.run_id for r in ResearchStore(models.engine).sweep_runs(sweep)}
                runs = [r for r in runs if r.run_id in members]
            listed = [_listing(models, r, url) for r in runs]
    if as_json:
        typer.echo(json.dumps(listed, indent=2, default=str))
        return
    if not listed:
        console.print(f"no runs in {mask_url(url)}")
        return
    rows = [
        (
            x["run_id"], _minute(x["started_at"]), x["status"], x["flow"], x["period"],
            ", ".join(a["name"] for a in x["accounts"]),
            " / ".join(_pct(a.get("total_return")) for a in x["accounts"]),
            " / ".join(num(a.get("sharpe")) for a in x["accounts"]),
            " / ".join(_pct(a.get("max_drawdown"), "{:.1%}") for a in x["accounts"]),
            str(sum(int(a.get("trades") or 0) for a in x["accounts"])),
        )
        for x in listed
    ]  # fmt: skip
    columns = (
        "run",
        "started",
        "status",
        "flow",
        "period",
        "accounts",
        "return",
        "Sharpe",
        "max DD",
        "trades",
    )
    console.print(table(f"runs in {mask_url(url)}", columns, rows, 6))


def _pct(x: float | None, fmt: str = "{:+.2%}") -> str:
    return "-" if x is None else fmt.format(x)


def _minute(t: datetime) -> str:
    return f"{t:%Y-%m-%d %H:%M}"


def _listing(models: ReadModels, run: RunRow, url: str) -> dict[str, Any]:
    """One run for `runs list`: its figures per account (stored, or computed from its records)."""
    try:
        cfg: OptionPilotConfig | None = run_config(run, url)
    except ConfigError:
        cfg = None
    figures: dict[str, dict[str, Any]] = {}
    if cfg is not None and run.status != "running":
        figures = figures_for(models, run, url)
    accounts = [
        {"account_id": a.account_id, "name": a.name, **figures.get(a.account_id, {})}
        for a in models.accounts(run.run_id)
    ]
    return {
        "run_id": run.run_id,
        "mode": run.mode,
        "status": run.status,
        "seed": run.seed,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "error": run.error,
        "flow": flow_of(run),
        "period": period_of(run, cfg),
        "accounts": accounts,
    }


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="The run's id (see `optionpilot runs list`)")],
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: its accounts, performance by strategy, the daily summary and the option legs still open."""
    with one_line_errors():
        cfg = config_at(config, db)
        url = cfg.run.db
        with models_at(url) as models:
            run = next((r for r in models.runs() if r.run_id == run_id), None)
            if run is None:
                fail(f"run {run_id} is not in {mask_url(url)}; `optionpilot runs list` shows the runs")
            payload = _payload(models, cfg, run)
    if as_json:
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    _print(payload)


def _payload(models: ReadModels, cfg: OptionPilotConfig, run: RunRow) -> dict[str, Any]:
    markets = {a.name: a.market for a in cfg.accounts}
    accounts = []
    for acct in models.accounts(run.run_id):
        zone = ZoneInfo(MARKETS[markets.get(acct.name, cfg.market.market)].timezone)
        curve = models.equity_curve(run.run_id, acct.account_id)
        end = run.ended_at or (curve[-1].ts if curve else run.started_at)
        accounts.append(
            {
                **asdict(acct),
                "final_equity": curve[-1].equity if curve else None,
                "strategies": [
                    asdict(s) for s in models.performance_by_strategy(run.run_id, acct.account_id)
                ],
                "days": [asdict(d) for d in models.daily_summary(run.run_id, acct.account_id, zone)],
                "open_option_legs": [
                    asdict(a)
                    for a in models.active_option_positions(
                        run.run_id, end.astimezone(zone).date(), acct.account_id
                    )
                ],
            }
        )
    head = {k: v for k, v in asdict(run).items() if k not in ("config_json", "summary_json", "pid", "host")}
    return {"run": head, "accounts": accounts}


def _print(payload: dict[str, Any]) -> None:
    run = payload["run"]
    console.print(
        f"run [bold]{run['run_id']}[/] ({run['mode']}, {run['status']}) from {when(run['started_at'])} "
        f"to {when(run['ended_at'])}" + (f": {run['error']}" if run["error"] else "")
    )
    for a in payload["accounts"]:
        cur = a["currency"]
        final = "-" if a["final_equity"] is None else f"{a['final_equity']:,.2f}"
        console.print(
            f"\n[bold]{a['name']}[/] ({a['account_id']}): {a['starting_cash']:,.2f} -> {final} {cur}"
        )
        console.print(
            table(
                "performance by strategy",
                ("strategy", "trades", "wins", "losses", "win rate", "net P&L", "avg", "best", "worst"),
                [
                    (s["strategy_type"], str(s["trades"]), str(s["wins"]), str(s["losses"]),
                     f"{s['win_rate']:.0%}", f"{s['net_pnl']:,.2f}", f"{s['avg_pnl']:,.2f}",
                     f"{s['best']:,.2f}", f"{s['worst']:,.2f}")
                    for s in a["strategies"]
                ],
            )
        )  # fmt: skip
        console.print(
            table(
                "daily summary",
                ("day", "opened", "closed", "wins", "losses", "net P&L", "fees", "fills", "rejections"),
                [
                    (d["day"].isoformat(), str(d["positions_opened"]), str(d["positions_closed"]),
                     str(d["wins"]), str(d["losses"]), f"{d['net_pnl']:,.2f}", f"{d['fees']:,.2f}",
                     str(d["fills"]), f"{d['rejections']:,}")
                    for d in a["days"]
                ],
            )
        )  # fmt: skip
        console.print(
            table(
                "option legs open at the end",
                ("position", "contract", "strategy", "DTE", "qty", "avg price", "entry delta", "theta/day",
                 "vega", "IV"),
                [
                    (o["position_id"], o["instrument_key"], o["strategy_type"], str(o["days_to_expiry"]),
                     str(o["quantity"]), str(o["avg_price"]), num(o["entry_delta"]), num(o["entry_theta"]),
                     num(o["entry_vega"]), num(o["entry_iv"], "{:.1%}"))
                    for o in a["open_option_legs"]
                ],
                right=3,
            )
        )  # fmt: skip
