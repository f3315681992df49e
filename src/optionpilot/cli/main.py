"""The `optionpilot` command."""

from __future__ import annotations

import logging
import sys

import typer
from rich.markup import escape

# Typer carries its own copy of Click; its errors are these classes, not the `click` package's.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from optionpilot.cli.errors import err
from optionpilot.cli.lazy_commands import LazyGroup
from optionpilot.core.secrets import mask_log_records

# Every command is imported when it runs, not at start-up: the table is `cli.lazy_commands.ENTRIES`.
app = typer.Typer(
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="OptionPilot: automated options trading. The default mode is simulation.",
)


@app.callback()
def _every_command() -> None:
    # Before any command runs: no log line, whichever handler prints it, carries a database password.
    mask_log_records()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        path = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
        app([*path, "--help"])  # the help page, as Click would show it; it exits
        code = 0
    except ClickException as exc:
        # Click would draw a box of several lines: one line, and where to look. Usage errors exit 2.
        where = exc.ctx.command_path if isinstance(exc, UsageError) and exc.ctx is not None else "optionpilot"
        err.print(f"[bold red]error:[/] {escape(exc.format_message())} (see `{where} --help`)", markup=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
