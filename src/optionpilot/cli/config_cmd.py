"""`optionpilot config show`: the effective configuration, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model, masked_dump
from optionpilot.cli.console import make_console
from optionpilot.cli.errors import one_line_errors
from optionpilot.cli.runs_compare import flatten

app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")


@app.command("show")
def show(
    config: Annotated[Path | None, typer.Option("--config", help="TOML configuration file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Plain JSON for scripts")] = False,
) -> None:
    """Print the effective configuration (file, then environment), with every secret masked."""
    with one_line_errors():
        cfg = load_model(OptionPilotConfig, config)
    data = masked_dump(cfg)
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    # A readable table: one setting a row, dotted as in a sweep's grid; lists (accounts...) as JSON.
    table = Table(title="effective configuration (secrets masked)", show_lines=False)
    table.add_column("setting", overflow="fold")
    table.add_column("value", overflow="fold")
    for key, value in flatten(data).items():
        plain = value is None or isinstance(value, list | dict | bool | int | float)
        shown = json.dumps(value, default=str) if plain else str(value)
        table.add_row(key, shown)
    make_console().print(table, markup=False)
