"""The same pages and API over PostgreSQL (a 1-session backtest into a fresh schema)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from optionpilot.persistence.database import create_engine
from optionpilot.testing.backtests import backtest_config, run_backtest
from optionpilot.web.app import create_app
from optionpilot.web.security import COOKIE, Access

from .conftest import TOKEN

PAGES = ("/", "/positions?show=all", "/orders", "/decisions", "/strategies", "/runs", "/price")


@pytest.mark.postgres
def test_every_page_and_api_reads_postgresql(pg_schema_url: str) -> None:
    bt, _ = run_backtest(pg_schema_url, market={"sessions": 1})
    engine = create_engine(pg_schema_url)
    access = Access(TOKEN, generated=False)
    with TestClient(create_app(engine, backtest_config(pg_schema_url), access)) as client:
        client.cookies.set(COOKIE, access.cookie_value)
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 200, path
            assert bt.run_id in r.text, path
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        orders = client.get("/api/orders?sort=quantity&desc=0", headers=bearer).json()["data"]
        assert orders and all(o["events"] for o in orders)
        decisions = client.get("/api/decisions?rule=allocation.", headers=bearer).json()["data"]
        assert decisions and all(d["rule"].startswith("allocation.") for d in decisions)
        assert client.get(f"/runs/{bt.run_id}").status_code == 200
    engine.dispose()
