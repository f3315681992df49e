"""Pages and the API over a database a 2-session backtest filled: data on every page, sorting, filtering."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from optionpilot.persistence import dashboard_reads as reads
from optionpilot.persistence.database import create_engine

from .conftest import TOKEN, Filled, copy_db

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def test_overview_shows_each_account_with_state_equity_and_charts(
    client: TestClient, filled_db: Filled
) -> None:
    page = client.get("/").text
    for name in ("large", "tiny"):
        assert f"<h2>{name} " in page
    assert "HALTED" in page  # the tiny account's breaker halted it in this backtest
    assert page.count('class="chart"') == 2
    assert "Breaker" in page and "reducing at 3.0%" in page
    assert filled_db.run_id in page


def test_positions_orders_decisions_strategies_runs_render_data(
    client: TestClient, filled_db: Filled
) -> None:
    positions = client.get("/api/positions?show=all", headers=BEARER).json()["data"]
    assert positions and all(p["legs"] is not None for p in positions)
    open_ids = [p["position_id"] for p in positions if p["status"] != "closed"]
    page = client.get("/positions").text
    assert open_ids and all(pid in page for pid in open_ids)
    assert f'href="/actions/close/{open_ids[0]}"' in page
    orders = client.get("/api/orders", headers=BEARER).json()["data"]
    assert orders[0]["events"], "each order carries its state history"
    assert orders[0]["client_order_id"] in client.get("/orders").text
    assert "refusal" in client.get("/decisions").text
    assert "Latest scan at" in client.get("/strategies").text
    runs = client.get("/runs").text
    assert filled_db.run_id in runs and f'href="/runs/{filled_db.run_id}"' in runs
    report = client.get(f"/runs/{filled_db.run_id}").text
    assert "max drawdown" in report
    full = client.get(f"/runs/{filled_db.run_id}/report")
    assert full.status_code == 200 and "<svg" in full.text and filled_db.run_id in full.text
    assert client.get("/runs/no-such-run/report").status_code == 404
    compare = client.get(f"/runs?a={filled_db.run_id}&b={filled_db.run_id}").text
    assert "Comparison" in compare
    price = client.get("/price?symbol=QQQ").text
    assert "entry" in price and "QQQ" in price


def test_tables_sort_and_filter_on_the_server(client: TestClient) -> None:
    rows = client.get("/api/orders?sort=quantity&desc=0", headers=BEARER).json()["data"]
    quantities = [r["quantity"] for r in rows if not r["open"]]
    assert quantities == sorted(quantities)
    risk = client.get("/api/decisions?rule=risk.", headers=BEARER).json()["data"]
    assert risk and all(d["rule"].startswith("risk.") for d in risk)
    spy = client.get("/api/decisions?symbol=spy", headers=BEARER).json()["data"]
    assert spy and {d["symbol"] for d in spy} == {"SPY"}
    page = client.get("/decisions?kind=refusal&sort=rule&desc=0").text
    rules = re.findall(r'<tr class="kind-refusal">(?:<td>.*?</td>){4}<td>(.*?)</td>', page)
    assert rules and rules == sorted(rules, key=str.lower)
    assert client.get("/orders?sort=drop table&desc=1").status_code == 200  # an unknown key sorts by time


def test_change_marker_moves_when_a_row_is_added(filled_db: Filled, tmp_path) -> None:
    import sqlalchemy as sa

    from optionpilot.persistence import tables as t

    engine = create_engine(copy_db(filled_db, tmp_path / "copy.sqlite"))
    before = reads.change_marker(engine)
    assert reads.change_marker(engine) == before
    with engine.begin() as conn:
        row = conn.execute(sa.select(t.incidents).limit(1)).one()._mapping
        conn.execute(t.incidents.insert().values({k: v for k, v in row.items() if k != "id"}))
    assert reads.change_marker(engine) != before
    engine.dispose()
