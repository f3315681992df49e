"""Recorder throughput: rows per second into SQLite and PostgreSQL, one tick per transaction and buffered.

    .venv/bin/python benchmarks/recorder.py [--ticks 5000] [--pg URL | --no-pg]

Each tick holds what a busy backtest minute produces: equity points for two accounts, a signal,
three rejections, and every tenth tick an order's whole life with its fill, ledger and position.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from optionpilot.core.ids import AccountId, ClientOrderId, FillId, PositionId
from optionpilot.domain.accounts import LedgerEntry, LedgerKind
from optionpilot.domain.fills import Fill
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, Side
from optionpilot.domain.positions import Position, PositionLeg, PositionStatus
from optionpilot.domain.recommendations import PositionEvent, Rejection, Signal
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import EquityPoint, RunInfo, TickRecords

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
LARGE, TINY = AccountId("large"), AccountId("tiny")
CALL = OptionContract("SPY", date(2024, 3, 8), Decimal("510"), OptionRight.CALL)


def make_ticks(n: int) -> list[TickRecords]:
    ticks = []
    for i in range(n):
        ts = T0 + timedelta(minutes=i)
        tick = TickRecords(
            ts=ts,
            signals=[Signal(ts, "SPY", "bullish", 0.6, "day_trade", "momentum", {"rsi": 61.0})],
            rejections=[
                Rejection(ts, "liquidity", "liquidity.spread", "spread 12% of mid above 10%", "QQQ", LARGE),
                Rejection(ts, "sizing", "sizing.max_risk", "one contract above 5% of equity", "SPY", TINY),
                Rejection(ts, "signals", "signals.confidence", "confidence 0.41 below 0.50", "IWM"),
            ],
            equity=[
                EquityPoint(LARGE, ts, Decimal("120000.25"), Decimal("121003.75"), 12.5, 0.1, 4.0, -3.0),
                EquityPoint(TINY, ts, Decimal("1000"), Decimal("1000")),
            ],
        )
        if i % 10 == 0:
            cid, pid = ClientOrderId(f"op-bench-{i}"), PositionId(f"pos-{i}")
            o = Order(
                cid,
                LARGE,
                (OrderLeg(CALL, Side.BUY),),
                2,
                OrderType.LIMIT,
                ts,
                Decimal("1.25"),
                position_id=pid,
            )
            sub = o.transition(OrderStatus.SUBMITTED, ts)
            done = sub.transition(OrderStatus.FILLED, ts, "filled", filled_quantity=2)
            fill = Fill(
                FillId(f"f-{i}"), cid, LARGE, 0, CALL, Side.BUY, 2, Decimal("1.26"), Decimal("1.30"), ts
            )
            pos = Position(
                pid,
                LARGE,
                "SPY",
                "long_call",
                ts,
                "signal",
                PositionStatus.OPEN,
                {CALL.key: PositionLeg(CALL, 2, Decimal("1.26"), 2)},
            )
            tick = replace(
                tick,
                orders=[o, sub, done],
                fills=[fill],
                ledger=[
                    LedgerEntry(LARGE, ts, LedgerKind.PREMIUM, Decimal("-252"), fill.fill_id),
                    LedgerEntry(LARGE, ts, LedgerKind.FEE, Decimal("-1.30"), fill.fill_id),
                ],
                positions=[pos],
                position_events=[PositionEvent(ts, pid, LARGE, "opened", "entry filled", 2, Decimal("1.26"))],
            )
        ticks.append(tick)
    return ticks


def run_once(url: str, ticks: list[TickRecords], per_tx: int) -> tuple[int, float]:
    rec = SqlRecorder(url, DatabaseConfig(url=url, ticks_per_transaction=per_tx))
    info = RunInfo(
        f"bench-{uuid.uuid4().hex[:8]}",
        "backtest",
        T0,
        1,
        "{}",
        [(LARGE, "large", Decimal(121000), "USD"), (TINY, "tiny", Decimal(1000), "USD")],
    )
    rec.start_run(info)
    # Order ids are unique in the database; give each run its own.
    ticks = [
        replace(
            t,
            orders=[
                replace(o, client_order_id=ClientOrderId(f"{o.client_order_id}-{info.run_id}"))
                for o in t.orders
            ],
        )
        for t in ticks
    ]
    start = time.perf_counter()
    for tick in ticks:
        rec.record(tick)
    rec.flush()
    elapsed = time.perf_counter() - start
    rows = rec.rows_written
    rec.close()
    return rows, elapsed


def pg_schema(pg_url: str) -> tuple[str, sa.Engine, str] | None:
    admin = sa.create_engine(pg_url, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError:
        return None
    url = sa.make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), admin, schema


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=5000)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    ticks = make_ticks(args.ticks)
    with tempfile.TemporaryDirectory() as tmp:
        for per_tx in (1, 100):
            url = f"sqlite:///{Path(tmp) / f'bench{per_tx}.db'}"
            rows, s = run_once(url, ticks, per_tx)
            print(
                f"sqlite      ticks/tx={per_tx:>3}: {rows:>7} rows in {s:6.2f}s = {rows / s:>9,.0f} rows/s, "
                f"{len(ticks) / s:>8,.0f} ticks/s"
            )
    if args.no_pg:
        return
    made = pg_schema(args.pg)
    if made is None:
        print(
            f"postgresql: no server at {sa.make_url(args.pg).render_as_string(hide_password=True)}; skipped"
        )
        return
    url, admin, schema = made
    try:
        for per_tx in (1, 100):
            rows, s = run_once(url, ticks, per_tx)
            print(
                f"postgresql  ticks/tx={per_tx:>3}: {rows:>7} rows in {s:6.2f}s = {rows / s:>9,.0f} rows/s, "
                f"{len(ticks) / s:>8,.0f} ticks/s"
            )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
