"""What the commands do with a database URL before the persistence layer opens it."""

from __future__ import annotations

from pathlib import Path

from optionpilot.app.config import RunConfig
from optionpilot.core.errors import ConfigError

_SQLITE = "sqlite:///"


def prepare_sqlite_folder(url: str) -> None:
    """Make the folder of the default SQLite file (out/ on a fresh clone). A folder the user named must
    exist: a typo in --db would otherwise leave the records in a new directory nobody looks in."""
    if not url.startswith(_SQLITE) or url == "sqlite:///:memory:":
        return
    folder = Path(url[len(_SQLITE) :]).parent
    if folder.is_dir():
        return
    if url == RunConfig.model_fields["db"].default:
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise ConfigError(f"--db {url}: the folder {folder} does not exist; create it first")
