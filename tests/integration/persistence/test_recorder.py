"""SqlRecorder: a whole run stored and read back; a tick is stored entirely or not at all."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from optionpilot.core.errors import PersistenceError
from optionpilot.core.ids import ExecutionId, FillId
from optionpilot.domain.fills import Fill
from optionpilot.domain.orders import OrderLeg, OrderStatus, Side
from optionpilot.domain.recommendations import Rejection
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import TickRecords


def _count(rec: SqlRecorder, table: sa.Table) -> int:
    with rec.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _bad_tick(kit: SimpleNamespace, minutes: int) -> TickRecords:
    """A tick whose last insert fails: two executions under one fill id, after a rejection and an equity
    point (a fill delivered twice, same execution id, is no failure: see the test below)."""
    ts = kit.T0 + timedelta(minutes=minutes)
    fills = [
        Fill(
            FillId("dup"),
            "op-x",
            kit.LARGE,
            0,
            kit.CALL,
            Side.BUY,
            1,
            Decimal("1.00"),
            Decimal("0.65"),
            ts,
            execution_id=ExecutionId(f"x{minutes}-{n}"),
        )
        for n in (1, 2)
    ]
    return TickRecords(
        ts=ts,
        rejections=[Rejection(ts, "risk", "risk.daily_loss", "daily loss limit reached")],
        fills=fills,
        equity=[kit.equity(ts, "1", "1")],
    )


def _good_tick(kit: SimpleNamespace, minutes: int) -> TickRecords:
    ts = kit.T0 + timedelta(minutes=minutes)
    return TickRecords(
        ts=ts,
        rejections=[Rejection(ts, "signals", "signals.confidence", "confidence 0.40 below 0.50", "IWM")],
        equity=[kit.equity(ts, "121000", "121000")],
    )


@pytest.mark.parametrize("per_tx", [1, 10], ids=["tick-per-tx", "buffered"])
def test_records_a_whole_run(db_url: str, scene: SimpleNamespace, per_tx: int) -> None:
    """Buffered, the three ticks go in one transaction: an order inserted then updated, a position twice."""
    with SqlRecorder(db_url, DatabaseConfig(url=db_url, ticks_per_transaction=per_tx)) as rec:
        rec.start_run(scene.info)
        for tick in scene.ticks:
            rec.record(tick)
        rec.finish_run("run-1", scene.ticks[-1].ts, '{"trades": 2}')
        expected = {
            t.accounts: 2,
            t.news: 1,
            t.signals: 1,
            t.recommendations: 1,
            t.rejections: 2,
            t.orders: 2,
            t.order_events: 8,
            t.fills: 2,
            t.ledger_entries: 4,
            t.positions: 3,
            t.position_legs: 3,
            t.position_events: 3,
            t.equity_points: 5,
        }
        assert {table.name: _count(rec, table) for table in expected} == {
            k.name: v for k, v in expected.items()
        }
        # Accounts come from start_run; pos-1, its leg and op-large-1 were each written twice (upserts).
        assert rec.rows_written == sum(expected.values()) - 2 + 3
        with rec.engine.connect() as conn:
            run = conn.execute(sa.select(t.runs)).one()
            orders = conn.execute(sa.select(t.orders).order_by(t.orders.c.client_order_id)).all()
            ledger = conn.execute(sa.select(t.ledger_entries.c.amount)).scalars().all()
            statuses = (
                conn.execute(
                    sa.select(t.order_events.c.status)
                    .where(t.order_events.c.client_order_id == "op-large-1")
                    .order_by(t.order_events.c.id)
                )
                .scalars()
                .all()
            )
            legs = conn.execute(
                sa.select(t.position_legs).where(t.position_legs.c.position_id == "pos-2")
            ).all()
    assert run.config_json == scene.info.config_json  # byte for byte, as masked by the caller
    assert run.summary_json == '{"trades": 2}' and run.ended_at == scene.ticks[-1].ts and run.seed == 7
    assert [o.status for o in orders] == ["filled", "filled"]
    assert orders[0].created_at == scene.info.started_at  # the insert's creation time survives the upserts
    assert orders[0].filled_quantity == 2 and orders[0].limit_price == Decimal("1.25")
    assert orders[0].legs[0]["key"] == "SPY240308C00510000"
    assert statuses == ["new", "submitted", "accepted", "filled"]
    assert sum(ledger, start=Decimal(0)) == Decimal("105.40")  # 360 - 252 - 2 x 1.30, to the cent
    assert {(leg.option_right, leg.strike, leg.quantity) for leg in legs} == {
        ("P", Decimal("495"), -1),
        ("P", Decimal("490"), 1),
    }


def test_a_failing_insert_leaves_nothing_of_its_tick(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        rec.record(scene.ticks[0])
        before = {table.name: _count(rec, table) for table in t.metadata.sorted_tables}
        bad = _bad_tick(kit, 5)
        with pytest.raises(PersistenceError) as err:
            rec.record(bad)
        assert str(err.value).startswith(f"tick {bad.ts.isoformat()} not stored in ")
        after = {table.name: _count(rec, table) for table in t.metadata.sorted_tables}
        assert after == before  # the rejection and equity point inserted before the failure are gone too
        rec.record(scene.ticks[1])  # the recorder carries on with the next tick
        assert _count(rec, t.fills) == 1


def test_buffered_ticks_stay_whole_when_one_fails(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    config = DatabaseConfig(url=db_url, ticks_per_transaction=10)
    with SqlRecorder(db_url, config) as rec:
        rec.start_run(scene.info)
        ticks = [
            _good_tick(kit, 1),
            _good_tick(kit, 2),
            _bad_tick(kit, 3),
            _good_tick(kit, 4),
            _good_tick(kit, 5),
        ]
        for tick in ticks:
            rec.record(tick)
        assert rec.pending_ticks == 5 and _count(rec, t.equity_points) == 0  # nothing written yet
        with pytest.raises(PersistenceError, match=re.escape(f"tick {ticks[2].ts.isoformat()} not stored")):
            rec.flush()
        assert rec.pending_ticks == 0
        assert rec.ticks_written == 4
        with rec.engine.connect() as conn:
            stamps = (
                conn.execute(sa.select(t.equity_points.c.ts).order_by(t.equity_points.c.ts)).scalars().all()
            )
            rejected = conn.execute(sa.select(t.rejections.c.ts).order_by(t.rejections.c.ts)).scalars().all()
        good = [tick.ts for i, tick in enumerate(ticks) if i != 2]
        assert stamps == good and rejected == good


def test_buffered_ticks_are_written_when_the_buffer_fills(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    with SqlRecorder(db_url, DatabaseConfig(url=db_url, ticks_per_transaction=3)) as rec:
        rec.start_run(scene.info)
        for minute in range(1, 8):
            rec.record(_good_tick(kit, minute))
        assert _count(rec, t.equity_points) == 6 and rec.pending_ticks == 1
        rec.finish_run("run-1", kit.T0 + timedelta(hours=1), "{}")  # finishing flushes the rest
        assert _count(rec, t.equity_points) == 7


def test_a_position_is_stored_as_it_was_when_recorded(db_url: str, scene: SimpleNamespace) -> None:
    """Positions are mutable; a buffered tick must keep the state of its own time."""
    with SqlRecorder(db_url, DatabaseConfig(url=db_url, ticks_per_transaction=5)) as rec:
        rec.start_run(scene.info)
        tick = scene.ticks[1]
        position = tick.positions[0]
        rec.record(tick)
        position.fees = Decimal("999")
        rec.flush()
        with rec.engine.connect() as conn:
            assert conn.execute(sa.select(t.positions.c.fees)).scalar_one() == Decimal("1.30")


def test_a_client_order_id_is_unique_across_processes_and_runs(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    with SqlRecorder(db_url) as first, SqlRecorder(db_url) as second:
        first.start_run(scene.info)
        first.record(scene.ticks[0])
        second.start_run(kit.run_info("run-2"))
        again = kit.order("op-large-1", (OrderLeg(kit.CALL, Side.BUY),), 1, kit.T0 + timedelta(minutes=9))
        with pytest.raises(PersistenceError, match="not stored"):
            second.record(TickRecords(ts=again.created_at, orders=[again]))
        with second.engine.connect() as conn:
            assert conn.execute(sa.select(t.orders.c.run_id, t.orders.c.quantity)).one() == ("run-1", 2)


def test_an_order_first_seen_after_new_is_stored_and_updated(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    """After a restart the recorder may meet an order it never saw as NEW: it upserts it."""
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        o = kit.order("op-large-9", (OrderLeg(kit.CALL, Side.BUY),), 3, kit.T0)
        sub = o.transition(OrderStatus.SUBMITTED, kit.T0, "sent")
        part = sub.transition(
            OrderStatus.PARTIALLY_FILLED, kit.T0 + timedelta(minutes=1), "1 of 3", filled_quantity=1
        )
        rec.record(TickRecords(ts=kit.T0, orders=[sub]))
        rec.record(TickRecords(ts=part.updated_at, orders=[part]))
        with rec.engine.connect() as conn:
            row = conn.execute(sa.select(t.orders.c.status, t.orders.c.filled_quantity)).one()
    assert tuple(row) == ("partially_filled", 1)


def test_misuse_is_refused_clearly(db_url: str, scene: SimpleNamespace, kit: SimpleNamespace) -> None:
    with SqlRecorder(db_url) as rec:
        with pytest.raises(PersistenceError, match="before start_run"):
            rec.record(scene.ticks[0])
        rec.start_run(scene.info)
        with pytest.raises(PersistenceError, match="cannot start run run-1"):
            rec.start_run(scene.info)
        with pytest.raises(PersistenceError, match="no such run"):
            rec.finish_run("run-404", kit.T0, "{}")
        nan_tick = TickRecords(
            ts=kit.T0, equity=[dataclasses.replace(kit.equity(kit.T0, "1", "1"), delta=float("nan"))]
        )
        with pytest.raises(
            PersistenceError,
            match=re.escape("delta of the equity point of large at 2024-03-04T14:31:00+00:00 is nan"),
        ):
            rec.record(nan_tick)
        assert rec.pending_ticks == 0 and _count(rec, t.equity_points) == 0
        rec.record(TickRecords(ts=kit.T0))  # an empty tick is nothing to store
        assert rec.ticks_written == 0


def test_news_is_stored_once_per_run(db_url: str, scene: SimpleNamespace, kit: SimpleNamespace) -> None:
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        rec.record(scene.ticks[0])
        rec.record(TickRecords(ts=kit.T0 + timedelta(minutes=1), news=list(scene.ticks[0].news)))
        with rec.engine.connect() as conn:
            row = conn.execute(sa.select(t.news)).one()
    assert row.tickers == ["SPY"] and row.sentiment_label == "bullish" and row.sentiment_score == 0.7


def test_a_fill_delivered_twice_is_stored_once_and_its_tick_is_kept(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    ts = kit.T0 + timedelta(minutes=7)
    price, fee = Decimal("1.00"), Decimal("0.65")
    fill = Fill(
        FillId("f7"),
        "op-x",
        kit.LARGE,
        0,
        kit.CALL,
        Side.BUY,
        1,
        price,
        fee,
        ts,
        execution_id=ExecutionId("x-7"),
    )
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        rec.record(TickRecords(ts=ts, fills=[fill, fill], equity=[kit.equity(ts, "1", "1")]))
        rec.record(TickRecords(ts=ts, fills=[fill], equity=[kit.equity(ts, "2", "2")]))
        assert _count(rec, t.fills) == 1 and _count(rec, t.equity_points) == 2
        assert rec.duplicate_fills_dropped == 2
    # The UNIQUE constraint is the backstop: a writer that never saw the first copy fails whole.
    with SqlRecorder(db_url) as other:
        other.start_run(dataclasses.replace(scene.info, run_id="run-2"))
        again = dataclasses.replace(fill, fill_id=FillId("other"))
        with pytest.raises(PersistenceError, match="not stored"):
            other.record(TickRecords(ts=ts, fills=[again]))
