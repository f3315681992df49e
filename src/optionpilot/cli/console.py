"""The console every command prints to."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console

from optionpilot.engine.orders.reconciliation import ReconciliationReport


def make_console() -> Console:
    """Rich's console; without a terminal (logs, CI, pipes) it is 160 columns wide, because rich's default
    of 80 would squash tables and break paths across lines."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    return console


def print_reconciliation(console: Console, reports: Iterable[ReconciliationReport]) -> None:
    """Each account's reconciliation with its broker, green when book and broker agree."""
    for report in reports:
        style = "green" if report.ok else "bold red"
        console.print(f"[{style}]reconciliation {report.summary()}[/]")
