"""`optionpilot data import PATH...` and `optionpilot data check`: the local market-data store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from optionpilot.adapters.files.formats import DataFormat
from optionpilot.adapters.files.importer import data_files
from optionpilot.adapters.files.quality import check_store
from optionpilot.adapters.files.store import DataStore
from optionpilot.app.data_import import import_paths
from optionpilot.cli.console import make_console
from optionpilot.cli.errors import one_line_errors
from optionpilot.core.errors import DataError

app = typer.Typer(no_args_is_help=True, add_completion=False, help="The local market-data store.")
DEFAULT_STORE = Path("data/store")
SCRIP_MASTER = "dhan-scrip-master"  # a security master for the database, not market data for the store
_FORMATS = ", ".join(["auto", *(f.value for f in DataFormat), SCRIP_MASTER])


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="files or directories to import")],
    format: Annotated[str, typer.Option("--format", help=f"one of: {_FORMATS}")] = "auto",
    store: Annotated[Path, typer.Option(help="the store directory")] = DEFAULT_STORE,
    db: Annotated[str | None, typer.Option(help="also record IV history in this database URL")] = None,
    force: Annotated[
        bool, typer.Option(help="re-read files already imported (still changes nothing)")
    ] = False,
) -> None:
    """Read each file (format detected from its header) into the store; re-importing changes nothing."""
    console = make_console()
    if format == SCRIP_MASTER:
        _import_scrip_masters(paths, db, console)
        return
    with one_line_errors():
        fmt = None if format == "auto" else _format(format)
        ds = DataStore(store)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("importing", total=len(data_files(paths)) or None)

            def advance(f: Path) -> None:
                progress.update(task, description=f"imported {f.name}")
                progress.advance(task)

            run = import_paths(ds, paths, fmt=fmt, force=force, db=db, on_file=advance)
        results, points, skipped, notes = run.results, run.iv_points, run.iv_skipped, run.notes
        days = bool(points or skipped)
    t = Table(title=f"data import into {store}")
    for col in ("file", "format", "read", "rejected", "duplicates", "new", "already stored"):
        t.add_column(col, justify="left" if col in ("file", "format") else "right")
    for r in results:
        if r.already_imported:
            t.add_row(Path(r.source).name, r.fmt, "-", "-", "-", "0", "(imported before)")
            continue
        t.add_row(
            Path(r.source).name,
            r.fmt,
            str(r.rows_read),
            str(sum(r.skipped.values())),
            str(r.duplicates_in_file),
            str(r.inserted),
            str(r.already_stored),
        )
    console.print(t)
    for r in results:
        if r.skipped:
            counts = ", ".join(f"{n} {why}" for why, n in sorted(r.skipped.items(), key=lambda x: -x[1]))
            console.print(f"rejected rows of {Path(r.source).name}: {counts}")
        if r.rejects_file:
            console.print(f"rejected rows of {Path(r.source).name}: {r.rejects_file}")
        for why, n in r.flagged.items():
            console.print(f"flagged rows of {Path(r.source).name}: {n} {why}")
    if days:
        console.print(f"IV history: {len(points)} days computed, {skipped} without an ATM pair")
    for note in notes:
        console.print(note)


@app.command()
def check(
    store: Annotated[Path, typer.Option(help="the store directory")] = DEFAULT_STORE,
) -> None:
    """A data-quality report per imported set; flagged rows go to STORE/check_flags.csv."""
    console = make_console()
    with one_line_errors():
        ds = DataStore(store)
        if not ds.imports():
            raise DataError("nothing imported here yet (run `optionpilot data import`)", source=str(store))
        flags = store / "check_flags.csv"
        reports = check_store(ds, flags_file=flags)
    columns = [
        "rows", "contracts", "days", "rejected", "crossed", "zero_or_missing_bid", "stale",
        "outside_no_arbitrage_bounds", "duplicates", "gaps", "suspected_corporate_actions",
    ]  # fmt: skip
    t = Table(title=f"data check of {store}")
    t.add_column("set")
    for c in columns:
        t.add_column(c.replace("_", " "), justify="right")
    for rep in reports:
        t.add_row(Path(rep.source).name, *(str(rep.counts[c]) if c in rep.counts else "-" for c in columns))
    console.print(t)
    for rep in reports:
        shown = [n for n in rep.notes if not n.startswith("gaps:")]
        for note in shown:
            console.print(f"{Path(rep.source).name}: {note}")
    console.print(f"flagged rows (with source line): {flags}")


def _import_scrip_masters(paths: list[Path], db: str | None, console: Console) -> None:
    from optionpilot.app.config import RunConfig
    from optionpilot.app.scrip_master_import import import_scrip_master
    from optionpilot.cli.database_url import prepare_sqlite_folder
    from optionpilot.persistence.database import mask_url

    url = db or str(RunConfig.model_fields["db"].default)
    t = Table(title=f"Dhan scrip master into {mask_url(url)}")
    for col in ("file", "layout", "read", "rejected", "new", "updated", "unchanged"):
        t.add_column(col, justify="left" if col in ("file", "layout") else "right")
    with one_line_errors():
        prepare_sqlite_folder(url)
        done = [import_scrip_master(p, url) for p in paths]
    for d in done:
        c = d.counts
        rejected = str(sum(d.master.skipped.values()))
        counts = (d.master.read, rejected, c.inserted, c.updated, c.unchanged)
        t.add_row(Path(d.source).name, d.master.layout, *(str(n) for n in counts))
    console.print(t)
    for d in done:
        if d.master.skipped:
            why = ", ".join(f"{n} {w}" for w, n in sorted(d.master.skipped.items(), key=lambda x: -x[1]))
            console.print(f"rejected rows of {Path(d.source).name}: {why}")


def _format(text: str) -> DataFormat:
    try:
        return DataFormat(text)
    except ValueError:
        raise typer.BadParameter(f"--format {text!r}: use one of {_FORMATS}") from None
