"""What every `runs` command shares: the options, opening a database's read models, table cells."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.cli.errors import fail
from optionpilot.persistence.database import mask_url
from optionpilot.persistence.read_models import ReadModels

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML configuration file")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="The same as JSON, for scripts")]

SQLITE = "sqlite:///"


def config_at(path: Path | None, db: str | None) -> OptionPilotConfig:
    over: dict[str, Any] = {"run": {"db": db}} if db is not None else {}
    return load_model(OptionPilotConfig, path, overrides=over)


@contextmanager
def models_at(url: str) -> Iterator[ReadModels]:
    """The read models of an existing database; a missing file or a failing query is one clear line."""
    if url.startswith(SQLITE) and url != "sqlite:///:memory:" and not Path(url[len(SQLITE) :]).exists():
        fail(f"no database at {url[len(SQLITE) :]}: run a backtest first, or give --db")
    models = ReadModels.from_url(url)
    try:
        yield models
    except SQLAlchemyError as exc:
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail(f"cannot read runs from {mask_url(url)}: {text[0] if text else type(exc).__name__}")
    finally:
        models.engine.dispose()


def when(t: datetime | None) -> str:
    return "-" if t is None else t.isoformat(timespec="seconds")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> Table:
    """Columns from index `right` on are numbers, right-aligned."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="right" if i >= right else "left")
    for cells in rows:
        table.add_row(*cells)
    return table


def num(x: float | None, fmt: str = "{:,.2f}") -> str:
    return "-" if x is None else fmt.format(x)
