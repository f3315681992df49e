"""Shared fixtures: where the real data lives, and the PostgreSQL URL (skip or fail when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OPTIONPILOT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real market data of ../shared/data; tests that need it skip when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set OPTIONPILOT_SHARED_DATA)")
    return SHARED_DATA


# --- PostgreSQL (persistence) ---------------------------------------------------------------------------

from collections.abc import Iterator  # noqa: E402 (appended section)

PG_URL = os.environ.get("OPTIONPILOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The test server URL; skips when no server answers, fails if OPTIONPILOT_REQUIRE_POSTGRES=1."""
    import sqlalchemy as sa

    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no server" here
        shown = sa.make_url(PG_URL).render_as_string(hide_password=True)
        reason = f"no PostgreSQL at {shown} ({type(exc).__name__}); set OPTIONPILOT_TEST_PG_URL"
        if os.environ.get("OPTIONPILOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason}; OPTIONPILOT_REQUIRE_POSTGRES=1 forbids skipping", pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped after the test."""
    import uuid

    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
