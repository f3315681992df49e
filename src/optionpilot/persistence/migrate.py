"""Run the Alembic migrations programmatically: `upgrade(url)` at start-up makes the schema current.

An upgrade is locked and atomic. PostgreSQL: a transaction-scoped advisory lock, then every revision in
that one transaction (PostgreSQL DDL is transactional). SQLite: the driver's own transaction handling is
switched off so nothing commits a CREATE on its own, and the upgrade runs inside `BEGIN EXCLUSIVE`, so a
process killed mid-way leaves the old schema or the new one, and concurrent first runs wait their turn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from optionpilot.core.clock import Clock
from optionpilot.core.errors import PersistenceError
from optionpilot.core.secrets import mask_passwords
from optionpilot.persistence.database import DatabaseConfig, create_engine, mask_url
from optionpilot.persistence.run_status import mark_dead_runs

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant both sides agree on: the advisory lock every OptionPilot upgrade takes on PostgreSQL.
_PG_LOCK_KEY = 0x0F710_0B11_07


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise PersistenceError(f"no migrations found in {MIGRATIONS}")
    return str(head)


def _sqlite_exclusive(engine: Engine, config: DatabaseConfig | None) -> Engine:
    """An engine on the same file (same pragmas) whose transactions are `BEGIN EXCLUSIVE ... COMMIT`."""
    migrator = create_engine(engine.url.render_as_string(hide_password=False), config, check=False)

    def no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite otherwise runs DDL outside any transaction: a kill then leaves half a schema.
        dbapi_connection.isolation_level = None

    def begin_exclusive(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")

    event.listen(migrator, "connect", no_driver_transactions)
    event.listen(migrator, "begin", begin_exclusive)
    return migrator


def _upgrade_on(conn: Connection, revision: str) -> None:
    if conn.dialect.name == "postgresql":
        # Released at commit or rollback; a second process waits here, then finds the schema current.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    # Inside our transaction Alembic adds none of its own: every revision commits together.
    command.upgrade(cfg, revision)


def upgrade_engine(
    engine: Engine,
    revision: str = "head",
    *,
    config: DatabaseConfig | None = None,
    clock: Clock | None = None,
) -> None:
    """Migrate, then mark runs whose process is gone as interrupted: every writer opens the database here."""
    shown = mask_url(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    migrator = _sqlite_exclusive(engine, config) if sqlite else engine
    try:
        with migrator.begin() as conn:
            _upgrade_on(conn, revision)
    except SQLAlchemyError as exc:
        raise PersistenceError(f"migrating {shown} failed: {mask_passwords(_one_line(exc))}") from exc
    finally:
        if sqlite:
            migrator.dispose()
    if revision == "head":
        mark_dead_runs(engine, config or DatabaseConfig(url=str(engine.url)), clock)


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def upgrade(url: str, revision: str = "head", config: DatabaseConfig | None = None) -> None:
    """Bring the database at `url` to `revision` (the newest by default)."""
    engine = create_engine(url, config)
    try:
        upgrade_engine(engine, revision, config=config)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        rev = MigrationContext.configure(conn).get_current_revision()
    return None if rev is None else str(rev)
