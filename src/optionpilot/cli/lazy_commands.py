"""The commands, imported only when one runs: `optionpilot --help` lists them from this table without
importing numba, scipy, pandas or SQLAlchemy (4 s before; see benchmarks/startup.py).

Add a command here with its one-line help (what `--help` lists), the module and the attribute: a function
(one command), a Typer app (a group, e.g. `runs`), or a Typer app and the command inside it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer._click.core import Command, Context
from typer.core import TyperGroup


@dataclass(frozen=True, slots=True)
class Entry:
    module: str
    attr: str
    help: str
    inner: str | None = None  # a command of the Typer app `attr`, listed at the top level


ENTRIES: dict[str, Entry] = {
    "backtest": Entry(
        "optionpilot.cli.backtest", "backtest",
        "Run the whole flow over simulated sessions for every configured account, then write a report.",
    ),
    "run": Entry(
        "optionpilot.cli.operate", "run",
        "Trade all day under the operator's controls: `status`, `kill`, `resume`, `close` reach it.",
    ),
    "status": Entry(
        "optionpilot.cli.operate", "status",
        "Per account: trading state, equity, P&L today, what is open, the breaker's distance, health.",
    ),
    "kill": Entry(
        "optionpilot.cli.operate", "kill",
        "Halt now: cancel every open order and close every position; only `resume` brings it back.",
    ),
    "resume": Entry("optionpilot.cli.operate", "resume", "Back to ACTIVE (the only way out of HALTED)."),
    "close": Entry(
        "optionpilot.cli.operate", "close",
        "Close one position (every leg of a multi-leg one), or `--qty` units of it, by hand.",
    ),
    "sweep": Entry(
        "optionpilot.cli.sweep", "sweep",
        "One backtest per parameter set of a spec, locally or on a Dask cluster, ranked; resumable.",
    ),
    "config": Entry("optionpilot.cli.config_cmd", "app", "Inspect the configuration."),
    "data": Entry(
        "optionpilot.cli.data", "app", "Market-data store: import real files, check their quality."
    ),
    "scan": Entry(
        "optionpilot.cli.strategies", "app",
        "Analyse each underlying; build, score, rank and store every strategy; print the best per symbol.",
        "scan",
    ),
    "allocate": Entry(
        "optionpilot.cli.strategies", "app",
        "Spread CAPITAL across the latest scan's ranked strategies that `execute` would enter.",
        "allocate",
    ),
    "execute": Entry(
        "optionpilot.cli.strategies", "app",
        "Place the allocated (or given) strategies as multi-leg orders.",
        "execute",
    ),
    "monitor": Entry(
        "optionpilot.cli.strategies", "app",
        "Mark every open strategy leg by leg, evaluate exits with urgency, and act unless --alert-only.",
        "monitor",
    ),
    "iv": Entry("optionpilot.cli.iv", "iv_app", "Daily ATM IV history and percentiles."),
    "sentiment": Entry(
        "optionpilot.cli.sentiment", "app", "Headline sentiment: train and evaluate the classifier."
    ),
    "runs": Entry(
        "optionpilot.cli.runs", "app", "Stored runs: list, show, compare, and report again from the database."
    ),
    "chain": Entry("optionpilot.cli.chain", "app", "Option-chain tools: Greeks and implied vols for a file."),
    "stub-broker": Entry(
        "optionpilot.cli.stub_broker", "app",
        "Local stub brokers: `stub-broker alpaca` or `stub-broker dhan` to rehearse on.",
    ),
    "dashboard": Entry(
        "optionpilot.cli.dashboard", "dashboard",
        "The live dashboard: every account, position, order and decision, on 127.0.0.1 with a token.",
    ),
}  # fmt: skip


def load(name: str, entry: Entry) -> Command:
    """Import the command's module and build its Click command, as Typer would have at start-up."""
    obj = getattr(importlib.import_module(entry.module), entry.attr)
    if isinstance(obj, typer.Typer):
        group = typer.main.get_group(obj)
        if entry.inner is not None:
            return group.commands[entry.inner]
        group.name = name
        group.help = entry.help
        return group
    one = typer.Typer(add_completion=False)
    one.command(name)(obj)
    return typer.main.get_command(one)


class LazyCommand(Command):
    """Listed by name and help; the real command is built when it is asked to parse or run."""

    def __init__(self, name: str, entry: Entry) -> None:
        super().__init__(name, help=entry.help, short_help=entry.help)
        self._entry = entry
        self._real: Command | None = None

    def real(self) -> Command:
        if self._real is None:
            self._real = load(self.name or "", self._entry)
        return self._real

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        return self.real().invoke(ctx)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        return self.real().main(*args, **kwargs)

    def format_options(self, *args: Any, **kwargs: Any) -> Any:
        return self.real().format_options(*args, **kwargs)

    def _main_shell_completion(self, *args: Any, **kwargs: Any) -> Any:
        return self.real()._main_shell_completion(*args, **kwargs)


class LazyGroup(TyperGroup):
    """The top-level group: the commands of `ENTRIES` besides any registered the usual way."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in ENTRIES if n not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None or cmd_name not in ENTRIES:
            return known
        command = LazyCommand(cmd_name, ENTRIES[cmd_name])
        self.commands[cmd_name] = command
        return command
