"""What the commands do with a database URL before the persistence layer opens it."""

from __future__ import annotations

from pathlib import Path

_SQLITE = "sqlite:///"


def prepare_sqlite_folder(url: str) -> None:
    """Make the folder of a SQLite file the user named (out/ on a fresh clone); the database layer itself
    refuses a missing folder, so a typo in a library caller's path still fails loudly."""
    if url.startswith(_SQLITE) and url != "sqlite:///:memory:":
        Path(url[len(_SQLITE) :]).parent.mkdir(parents=True, exist_ok=True)
