"""The `optionpilot` command."""

from __future__ import annotations

import logging
import sys

import typer
from rich.markup import escape

# Typer carries its own copy of Click; its errors are these classes, not the `click` package's.
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

from optionpilot.cli.backtest import backtest
from optionpilot.cli.chain import app as chain_app
from optionpilot.cli.config_cmd import app as config_app
from optionpilot.cli.data import app as data_app
from optionpilot.cli.errors import err
from optionpilot.cli.iv import iv_app
from optionpilot.cli.operate import close, kill, resume, run, status
from optionpilot.cli.runs import app as runs_app
from optionpilot.cli.sentiment import app as sentiment_app
from optionpilot.cli.strategies import app as strategies_app
from optionpilot.cli.stub_broker import app as stub_broker_app
from optionpilot.cli.sweep import sweep
from optionpilot.core.secrets import mask_log_records

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="OptionPilot: automated options trading. The default mode is simulation.",
)
app.command("backtest")(backtest)
app.command("run")(run)
app.command("status")(status)
app.command("kill")(kill)
app.command("resume")(resume)
app.command("close")(close)
app.command("sweep")(sweep)


@app.callback()
def _every_command() -> None:
    # Before any command runs: no log line, whichever handler prints it, carries a database password.
    mask_log_records()


app.add_typer(config_app, name="config")
app.add_typer(data_app, name="data", help="Market-data store: import real files, check their quality.")
app.add_typer(strategies_app)  # scan, allocate, execute, monitor
app.add_typer(iv_app, name="iv")
app.add_typer(sentiment_app, name="sentiment", help="Headline sentiment: train and evaluate the classifier.")
app.add_typer(runs_app, name="runs", help="Stored runs: list them; show one through the analytical views.")
app.add_typer(chain_app, name="chain", help="Option-chain tools: Greeks and implied vols for a file.")
app.add_typer(
    stub_broker_app, name="stub-broker", help="Local stub brokers: `stub-broker alpaca` to rehearse on."
)


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
