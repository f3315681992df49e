"""`optionpilot config show`: the effective configuration, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.syntax import Syntax

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model, masked_dump
from optionpilot.cli.errors import one_line_errors

app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")


@app.command("show")
def show(
    config: Annotated[Path | None, typer.Option("--config", help="TOML configuration file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Plain JSON for scripts")] = False,
) -> None:
    """Print the effective configuration (file, then environment), with every secret masked."""
    with one_line_errors():
        cfg = load_model(OptionPilotConfig, config)
    text = json.dumps(masked_dump(cfg), indent=2, default=str)
    if as_json:
        typer.echo(text)
    else:
        Console().print(Syntax(text, "json", theme="ansi_dark", word_wrap=True))
