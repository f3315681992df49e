"""Run the Alembic migrations programmatically: `upgrade(url)` at start-up makes the schema current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from optionpilot.core.errors import PersistenceError
from optionpilot.core.secrets import mask_passwords
from optionpilot.persistence.database import DatabaseConfig, create_engine, mask_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise PersistenceError(f"no migrations found in {MIGRATIONS}")
    return str(head)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise PersistenceError(
            f"migrating {mask_url(engine.url.render_as_string(hide_password=False))} failed: "
            f"{mask_passwords(str(exc))}"
        ) from exc


def upgrade(url: str, revision: str = "head", config: DatabaseConfig | None = None) -> None:
    """Bring the database at `url` to `revision` (the newest by default)."""
    engine = create_engine(url, config)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    return None if rev is None else str(rev)
