"""The migrations make exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from optionpilot.persistence.database import create_engine
from optionpilot.persistence.migrate import current_revision, head_revision, upgrade
from optionpilot.persistence.tables import metadata
from optionpilot.persistence.types import Money


def _diff(engine: sa.Engine, target: sa.MetaData) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(ctx, target))


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
        assert _diff(engine, metadata) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert set(metadata.tables) <= tables
    finally:
        engine.dispose()


def test_the_comparison_sees_a_model_the_migrations_lack(db_url: str) -> None:
    """Guards the test above: a column added only to the models must show up as a difference."""
    upgrade(db_url)
    drifted = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(drifted)
    sa.Table("runs", drifted, sa.Column("extra_money", Money()), extend_existing=True)
    engine = create_engine(db_url)
    try:
        diff = _diff(engine, drifted)
    finally:
        engine.dispose()
    assert [d[0] for d in diff] == ["add_column"]  # type: ignore[index]
    assert diff[0][3].name == "extra_money"  # type: ignore[index]


def test_upgrade_twice_is_harmless(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_an_empty_database_has_no_revision(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) is None
    finally:
        engine.dispose()
