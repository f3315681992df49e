"""What the multi-leg workflow's verbs share: their options, the config and database, `--live`, output."""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.cli.console import make_console
from optionpilot.cli.database_url import prepare_sqlite_folder
from optionpilot.cli.errors import fail
from optionpilot.core.calendars import Market

console = make_console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML configuration file")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (SQLite default, PostgreSQL)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="The same as JSON, for scripts")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="A market-data store (default: the simulator)")]
SymbolOpt = Annotated[list[str] | None, typer.Option("--symbol", help="An underlying; repeat for more")]
MarketOpt = Annotated[Market | None, typer.Option("--market", help="US or IN (the simulator's market)")]
LiveOpt = Annotated[bool, typer.Option("--live", help="Trade on the live broker (needs credentials)")]
AccountOpt = Annotated[str | None, typer.Option("--account", help="Configured account (default: the first)")]

_CREDENTIALS = {
    Market.US: ("OPTIONPILOT_LIVE__ALPACA_KEY_ID", "OPTIONPILOT_LIVE__ALPACA_SECRET_KEY"),
    Market.IN: ("OPTIONPILOT_LIVE__DHAN_CLIENT_ID", "OPTIONPILOT_LIVE__DHAN_ACCESS_TOKEN"),
}


def config_and_db(path: Path | None, db: str | None) -> tuple[OptionPilotConfig, str]:
    over: dict[str, Any] = {"run": {"db": db}} if db is not None else {}
    cfg = load_model(OptionPilotConfig, path, overrides=over)
    prepare_sqlite_folder(cfg.run.db)
    return cfg, cfg.run.db


def refuse_live(live: bool, market: Market) -> None:
    if not live:
        return
    missing = [name for name in _CREDENTIALS[market] if not os.environ.get(name)]
    if missing:
        fail(f"--live needs broker credentials in the environment: {', '.join(missing)} not set")
    fail(f"--live: no live broker adapter for {market.value} exists yet; run without --live to simulate")


def emit(
    as_json: bool,
    payload: Any,
    *,
    title: str | None = None,
    columns: Sequence[str] = (),
    right: Collection[str] = (),
    rows: Iterable[Sequence[str]] = (),
    notes: Iterable[str] = (),
) -> None:
    """The payload as JSON; else the table (when titled), `right` columns right-aligned, then the notes."""
    if as_json:
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    if title is not None:
        table = Table(title=title)
        for col in columns:
            table.add_column(col, justify="right" if col in right else "left")
        for cells in rows:
            table.add_row(*cells)
        console.print(table)
    for note in notes:
        console.print(note)
