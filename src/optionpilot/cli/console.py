"""The console every command prints to."""

from __future__ import annotations

from rich.console import Console


def make_console() -> Console:
    """Rich's console; without a terminal (logs, CI, pipes) it is 160 columns wide, because rich's default
    of 80 would squash tables and break paths across lines."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    return console
