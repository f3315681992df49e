"""A backtest given a database password: not in any stored row, the report, the logs or the output."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from optionpilot.cli.main import app

SECRET = "s3cr3t-pw-4711"


@pytest.mark.slow
@pytest.mark.postgres
def test_password_in_db_url_is_stored_nowhere(
    pg_schema_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The test server trusts local connections, so the password is accepted and ignored: a real run.
    url = sa.make_url(pg_schema_url).set(password=SECRET).render_as_string(hide_password=False)
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(
            app, ["backtest", "--days", "1", "--symbols", "SPY", "--db", url, "--out", str(out)]
        )
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert SECRET not in caplog.text
    reports = list(out.glob("*.html"))
    assert reports and all(SECRET not in p.read_text() for p in reports)
    engine = sa.create_engine(pg_schema_url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            assert "runs" in names
            config = conn.execute(sa.text("SELECT config_json FROM runs")).scalars().all()
            assert config and all("***@" in c for c in config)
            for name in names:
                for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')):
                    assert SECRET not in str(tuple(row)), name
    finally:
        engine.dispose()
