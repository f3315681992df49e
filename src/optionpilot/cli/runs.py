"""`optionpilot runs list | show RUN_ID`: the stored runs, and one run through the database's analytical views
(performance by strategy, the daily summary, the option legs still open) per account."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.cli.console import make_console
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.core.calendars import MARKETS
from optionpilot.persistence.database import mask_url
from optionpilot.persistence.read_models import ReadModels, RunRow

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Stored runs: list them, show one.")
console = make_console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML configuration file")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="The same as JSON, for scripts")]

_SQLITE = "sqlite:///"


def _config(path: Path | None, db: str | None) -> OptionPilotConfig:
    over: dict[str, Any] = {"run": {"db": db}} if db is not None else {}
    return load_model(OptionPilotConfig, path, overrides=over)


@contextmanager
def _models(url: str) -> Iterator[ReadModels]:
    """The read models of an existing database; a missing file or a failing query is one clear line."""
    if url.startswith(_SQLITE) and url != "sqlite:///:memory:" and not Path(url[len(_SQLITE) :]).exists():
        fail(f"no database at {url[len(_SQLITE) :]}: run a backtest first, or give --db")
    models = ReadModels.from_url(url)
    try:
        yield models
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail(f"cannot read runs from {mask_url(url)}: {text[0] if text else type(exc).__name__}")
    finally:
        models.engine.dispose()


def _when(t: datetime | None) -> str:
    return "-" if t is None else t.isoformat(timespec="seconds")


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> Table:
    """Columns from index `right` on are numbers, right-aligned."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i >= right else "left")
    for cells in rows:
        table.add_row(*cells)
    return table


def _num(x: float | None, fmt: str = "{:,.2f}") -> str:
    return "-" if x is None else fmt.format(x)


@app.command("list")
def list_runs(db: DbOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Every run in the database, oldest first."""
    with one_line_errors():
        url = _config(config, db).run.db
        with _models(url) as models:
            runs = models.runs()
    if as_json:
        keep = ("run_id", "mode", "status", "seed", "started_at", "ended_at", "error")
        typer.echo(json.dumps([{k: asdict(r)[k] for k in keep} for r in runs], indent=2, default=str))
        return
    if not runs:
        console.print(f"no runs in {mask_url(url)}")
        return
    rows = [(r.run_id, r.mode, r.status, _when(r.started_at), _when(r.ended_at)) for r in runs]
    console.print(_table(f"runs in {mask_url(url)}", ("run", "mode", "status", "started", "ended"), rows, 5))


@app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="The run's id (see `optionpilot runs list`)")],
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: its accounts, performance by strategy, the daily summary and the option legs still open."""
    with one_line_errors():
        cfg = _config(config, db)
        url = cfg.run.db
        with _models(url) as models:
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
        f"run [bold]{run['run_id']}[/] ({run['mode']}, {run['status']}) from {_when(run['started_at'])} "
        f"to {_when(run['ended_at'])}" + (f": {run['error']}" if run["error"] else "")
    )
    for a in payload["accounts"]:
        cur = a["currency"]
        final = "-" if a["final_equity"] is None else f"{a['final_equity']:,.2f}"
        console.print(
            f"\n[bold]{a['name']}[/] ({a['account_id']}): {a['starting_cash']:,.2f} -> {final} {cur}"
        )
        console.print(
            _table(
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
            _table(
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
            _table(
                "option legs open at the end",
                ("position", "contract", "strategy", "DTE", "qty", "avg price", "entry delta", "theta/day",
                 "vega", "IV"),
                [
                    (o["position_id"], o["instrument_key"], o["strategy_type"], str(o["days_to_expiry"]),
                     str(o["quantity"]), str(o["avg_price"]), _num(o["entry_delta"]), _num(o["entry_theta"]),
                     _num(o["entry_vega"]), _num(o["entry_iv"], "{:.1%}"))
                    for o in a["open_option_legs"]
                ],
                right=3,
            )
        )  # fmt: skip
