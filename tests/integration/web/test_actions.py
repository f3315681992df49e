"""Kill and close from the dashboard go through the Operator, after a confirmation step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from optionpilot.app.operator import Operator
from optionpilot.persistence.database import create_engine
from optionpilot.web.app import create_app
from optionpilot.web.security import COOKIE, Access

from .conftest import Filled, copy_db


@pytest.fixture
def own(filled_db: Filled, access: Access, tmp_path: Path) -> Iterator[tuple[TestClient, Operator]]:
    """A copy of the filled database: these tests change the stored trading states."""
    url = copy_db(filled_db, tmp_path / "copy.sqlite")
    config = filled_db.config.model_copy(update={"run": filled_db.config.run.model_copy(update={"db": url})})
    engine = create_engine(config.run.db)
    operator = Operator(engine, config)
    with TestClient(create_app(engine, config, access, operator=operator, kill_wait_s=0.1)) as c:
        c.cookies.set(COOKIE, access.cookie_value)
        yield c, operator
    engine.dispose()


def test_kill_asks_first_then_halts_through_the_operator(
    own: tuple[TestClient, Operator], access: Access
) -> None:
    client, operator = own
    confirm = client.get("/actions/kill").text
    assert 'name="confirm"' in confirm and "every account" in confirm
    assert "<option selected>large</option>" in client.get("/actions/kill?account=large").text
    unconfirmed = client.post("/actions/kill", data={"csrf": access.csrf, "reason": "x"})
    assert "Not confirmed" in unconfirmed.text
    assert {s.state for s in operator.status()} != {"halted"}
    done = client.post(
        "/actions/kill", data={"csrf": access.csrf, "confirm": "yes", "account": "large", "reason": "test"}
    )
    assert done.status_code == 200 and "Kill: large halted" in done.text
    states = {s.account: s for s in operator.status()}
    assert states["large"].state == "halted"
    assert states["large"].reason == "operator.kill: test" and states["large"].changed_by == "operator"
    page = client.get("/").text
    assert "HALTED" in page, page[page.find("<main") :][:3000]


def test_close_of_a_position_no_run_holds_is_refused_in_one_line(
    own: tuple[TestClient, Operator], access: Access
) -> None:
    client, _ = own
    r = client.post("/actions/close/pos-nope", data={"csrf": access.csrf, "confirm": "yes", "reason": "x"})
    assert "Close refused" in r.text and "position &#39;pos-nope&#39;: no such position" in r.text
    assert "Traceback" not in r.text
