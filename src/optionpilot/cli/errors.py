"""Turning our errors into one line on stderr and exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from optionpilot.core.errors import OptionPilotError
from optionpilot.core.secrets import mask_passwords

err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    # The last gate before the terminal: whatever raised, a database password is not printed.
    err.print(f"[bold red]error:[/] {escape(mask_passwords(message))}", markup=True)
    raise typer.Exit(2)


@contextmanager
def one_line_errors() -> Iterator[None]:
    try:
        yield
    except OptionPilotError as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
