"""The `optionpilot` command."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="OptionPilot: automated options trading.")


def main() -> None:
    app()
