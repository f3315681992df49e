"""Dashboard page load times (server side) with 10,000 orders and 1,000 open positions in the database.

    .venv/bin/python benchmarks/dashboard.py [--orders 10000] [--positions 1000] [--repeat 5]

A 2-session backtest fills a SQLite database; its orders (with their events and fills) and open positions
(with their legs) are then copied under new ids until the run holds the counts asked for. Each page is
fetched in process (TestClient: routing, the queries, the templates, the JSON of the charts; no network),
and the median and worst of `--repeat` fetches are printed. The goal is every page under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine
from optionpilot.testing.backtests import backtest_config, run_backtest
from optionpilot.web.app import create_app
from optionpilot.web.security import COOKIE, Access

PAGES = (
    "/",
    "/positions",
    "/positions?show=all",
    "/orders",
    "/orders?status=open",
    "/decisions",
    "/strategies",
    "/runs",
    "/price",
    "/api/orders",
    "/api/positions",
)


def grow(url: str, run_id: str, n_orders: int, n_positions: int) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        orders = [
            dict(r._mapping) for r in conn.execute(sa.select(t.orders).where(t.orders.c.run_id == run_id))
        ]
        events = [dict(r._mapping) for r in conn.execute(sa.select(t.order_events))]
        fills = [dict(r._mapping) for r in conn.execute(sa.select(t.fills))]
        have = len(orders)
        by_order: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            by_order.setdefault(e["client_order_id"], []).append(e)
        fills_by: dict[str, list[dict[str, Any]]] = {}
        for f in fills:
            fills_by.setdefault(f["client_order_id"], []).append(f)
        new_orders, new_events, new_fills = [], [], []
        for i in range(max(n_orders - have, 0)):
            src = orders[i % have]
            cid = f"bench-{i:07d}"
            new_orders.append({**src, "client_order_id": cid, "broker_order_id": None})
            for e in by_order.get(src["client_order_id"], []):
                new_events.append({**{k: v for k, v in e.items() if k != "id"}, "client_order_id": cid})
            for j, f in enumerate(fills_by.get(src["client_order_id"], [])):
                new_fills.append(
                    {
                        **{k: v for k, v in f.items() if k != "id"},
                        "client_order_id": cid,
                        "fill_id": f"{cid}-{j}",
                        "execution_id": f"x{cid}-{j}",
                    }
                )
        for table, rows in ((t.orders, new_orders), (t.order_events, new_events), (t.fills, new_fills)):
            for k in range(0, len(rows), 2000):
                conn.execute(table.insert(), rows[k : k + 2000])
        p = t.positions.c
        open_rows = [dict(r._mapping) for r in conn.execute(sa.select(t.positions).where(p.status == "open"))]
        legs = [dict(r._mapping) for r in conn.execute(sa.select(t.position_legs))]
        legs_by: dict[str, list[dict[str, Any]]] = {}
        for leg in legs:
            legs_by.setdefault(leg["position_id"], []).append(leg)
        new_pos, new_legs = [], []
        for i in range(max(n_positions - len(open_rows), 0)):
            src = open_rows[i % len(open_rows)]
            pid = f"bench-pos-{i:06d}"
            new_pos.append({**{k: v for k, v in src.items() if k != "id"}, "position_id": pid})
            new_legs += [{**leg, "position_id": pid} for leg in legs_by.get(src["position_id"], [])]
        conn.execute(t.positions.insert(), new_pos)
        conn.execute(t.position_legs.insert(), new_legs)
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--positions", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'dash.sqlite'}"
        bt, _ = run_backtest(url)
        grow(url, bt.run_id, args.orders, args.positions)
        engine = create_engine(url)
        with engine.connect() as conn:
            n_orders = conn.execute(sa.select(sa.func.count()).select_from(t.orders)).scalar_one()
            n_open = conn.execute(
                sa.select(sa.func.count()).select_from(t.positions).where(t.positions.c.status == "open")
            ).scalar_one()
        print(f"database: {n_orders:,} orders, {n_open:,} open positions (SQLite)")
        token = "bench-token-0123456789"
        access = Access(token, generated=False)
        client = TestClient(create_app(engine, backtest_config(url), access))
        client.cookies.set(COOKIE, access.cookie_value)
        headers = {"Authorization": f"Bearer {token}"}
        print(f"{'page':24} {'median ms':>10} {'worst ms':>10} {'KiB':>8}")
        for page in PAGES:
            times = []
            size = 0
            for _ in range(args.repeat + 1):
                t0 = time.perf_counter()
                r = client.get(page, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                size = len(r.content)
                assert r.status_code == 200, (page, r.status_code)
            times = times[1:]  # the first fetch warms the caches of SQLite and Jinja
            print(f"{page:24} {statistics.median(times):10.1f} {max(times):10.1f} {size / 1024:8.0f}")
        engine.dispose()


if __name__ == "__main__":
    main()
