"""Opening a database by URL: SQLite file by default, PostgreSQL by URL; errors name the masked URL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from optionpilot.core.errors import PersistenceError
from optionpilot.core.secrets import mask_passwords

DEFAULT_URL = "sqlite:///optionpilot.db"


class DatabaseConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = DEFAULT_URL
    # How long a PostgreSQL connect may take before the URL is called unreachable.
    connect_timeout_s: int = Field(default=5, ge=1)
    # How long SQLite waits for another writer's lock before failing.
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    # Ticks stored per transaction by the recorder; each tick stays all-or-nothing (see SqlRecorder).
    ticks_per_transaction: int = Field(default=1, ge=1)
    # A running run on another host whose heartbeat is older than this is taken for dead (interrupted).
    stale_heartbeat_s: int = Field(default=600, ge=1)


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, also when SQLAlchemy cannot parse it."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return mask_passwords(url)


def _first_line(exc: BaseException, password: str | None = None) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return mask_passwords(line.replace(password, "***") if password else line)


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        # WAL lets readers (the dashboard) run while a backtest writes; NORMAL is safe under WAL.
        # The busy timeout first: switching a new file to WAL takes a lock that concurrent openers wait for.
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def create_engine(url: str, config: DatabaseConfig | None = None, *, check: bool = True) -> Engine:
    """An Engine for `url`; with `check`, a connection is made now so a bad URL fails here, clearly."""
    cfg = config or DatabaseConfig(url=url)
    shown = mask_url(url)
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise PersistenceError(f"bad database URL {shown}: {_first_line(exc)}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise PersistenceError(f"bad database URL {shown}: use sqlite:///path or postgresql+psycopg://...")
    kwargs: dict[str, Any] = {}
    if backend == "postgresql" and "connect_timeout" not in parsed.query:
        kwargs["connect_args"] = {"connect_timeout": cfg.connect_timeout_s}
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise PersistenceError(f"bad database URL {shown}: {_first_line(exc)}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(cfg.sqlite_busy_timeout_ms))
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as exc:
            engine.dispose()
            raise PersistenceError(
                f"cannot open database {shown}: {_first_line(exc, parsed.password)}"
            ) from None
    return engine
