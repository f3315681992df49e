"""Opening databases by URL: bad or unreachable URLs fail with one clear line, the password masked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from optionpilot.core.errors import PersistenceError
from optionpilot.persistence.database import create_engine, mask_url
from optionpilot.persistence.recorder import SqlRecorder


def test_mask_url_hides_the_password() -> None:
    assert mask_url("postgresql+psycopg://bob:s3cret@db:5432/x") == "postgresql+psycopg://bob:***@db:5432/x"
    assert mask_url("sqlite:///a.db") == "sqlite:///a.db"
    # Unparseable URLs are still masked.
    assert "s3cret" not in mask_url("postgresql+psycopg://bob:s3cret@db:notaport/x")


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "mysql://u:pw@h/db",
        "postgresql+nosuchdriver://u:pw@h/db",
        "postgresql+psycopg://bob:s3cret@db:xx/x",
    ],
)
def test_bad_urls_are_refused_with_one_line(url: str) -> None:
    with pytest.raises(PersistenceError) as err:
        create_engine(url)
    message = str(err.value)
    assert "\n" not in message
    assert "pw" not in message.replace("postgresql", "")
    assert "s3cret" not in message
    assert "bad database URL" in message


def test_unreachable_postgres_names_the_masked_url() -> None:
    url = "postgresql+psycopg://bob:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(PersistenceError) as err:
        SqlRecorder(url)
    message = str(err.value)
    assert message.startswith("cannot open database postgresql+psycopg://bob:***@127.0.0.1:1/nowhere:")
    assert "s3cret" not in message
    assert "\n" not in message


def test_sqlite_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    with pytest.raises(PersistenceError, match="cannot open database sqlite:///"):
        create_engine(url)


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    import sqlalchemy as sa

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_money_must_be_decimal_before_it_reaches_the_database(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from optionpilot.persistence.types import Money

    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    table = sa.Table("m", sa.MetaData(), sa.Column("v", Money()))
    table.create(engine)
    with engine.begin() as conn:
        with pytest.raises(sa.exc.StatementError, match="expected Decimal"):
            conn.execute(table.insert(), [{"v": 1.1}])
        conn.execute(table.insert(), [{"v": Decimal("1.10")}])
    engine.dispose()
