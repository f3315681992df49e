"""/events: a server-sent `change` event follows a new row in the database (the page refreshes on it)."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa

from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine
from optionpilot.testing.dashboard_server import serve
from optionpilot.web.app import create_app
from optionpilot.web.security import COOKIE, Access

from .conftest import TOKEN, Filled, copy_db


def test_a_new_row_arrives_as_a_change_event(filled_db: Filled, tmp_path: Path, access: Access) -> None:
    url = copy_db(filled_db, tmp_path / "events.sqlite")
    engine = create_engine(url)
    app = create_app(engine, filled_db.config, Access(TOKEN, generated=False), poll_s=0.1)
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/events").status_code == 401
        client.cookies.set(COOKIE, access.cookie_value)
        with client.stream("GET", "/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "retry: 2000"
            with engine.begin() as conn:
                row = conn.execute(sa.select(t.incidents).limit(1)).one()._mapping
                conn.execute(t.incidents.insert().values({k: v for k, v in row.items() if k != "id"}))
            seen = []
            for line in lines:  # bounded: the client's read timeout ends a silent stream
                seen.append(line)
                if line == "event: change" or len(seen) > 100:
                    break
            assert "event: change" in seen, seen
    engine.dispose()
