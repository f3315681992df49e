"""Alembic environment: runs on the connection `persistence.migrate` hands over (or on `-x url=`)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from optionpilot.persistence.database import create_engine
from optionpilot.persistence.tables import metadata

config = context.config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Our column types live in the package, so revisions import them by module path.
    module = type(obj).__module__
    if type_ == "type" and module.startswith("optionpilot."):
        return f"{module}.{type(obj).__name__}()"
    return False


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_item=_render_item,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database as: alembic -x url=sqlite:///file.db ...")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported; run against a database")
run()
