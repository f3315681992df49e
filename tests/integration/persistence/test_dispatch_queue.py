"""Dispatcher workers claim recommendations; two workers never take the same one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from optionpilot.core.errors import PersistenceError
from optionpilot.core.ids import RecommendationId
from optionpilot.domain.orders import OrderLeg, Side
from optionpilot.domain.recommendations import Recommendation
from optionpilot.persistence import tables as t
from optionpilot.persistence.dispatch_queue import ClaimStatus, claim_recommendations, finish_recommendation
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.ports.recorder import TickRecords

COUNT = 40


@pytest.fixture
def queue(db_url: str, scene: SimpleNamespace, kit: SimpleNamespace) -> Iterator[sa.Engine]:
    legs = (OrderLeg(kit.CALL, Side.BUY),)
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        for i in range(COUNT):
            ts = kit.T0 + timedelta(seconds=i)
            r = Recommendation(
                RecommendationId(f"rec-{i:03d}"),
                ts,
                kit.LARGE,
                "SPY",
                "long_call",
                legs,
                1,
                Decimal("1.05"),
                0.7,
                "r",
            )
            rec.record(TickRecords(ts=ts, recommendations=[r]))
        yield rec.engine


def test_claims_oldest_first_and_rebuilds_the_recommendation(queue: sa.Engine, kit: SimpleNamespace) -> None:
    with queue.begin() as conn:
        got = claim_recommendations(conn, worker="w1", now=kit.T0, limit=3)
    assert [c.recommendation.recommendation_id for c in got] == ["rec-000", "rec-001", "rec-002"]
    first = got[0].recommendation
    assert first.legs == (OrderLeg(kit.CALL, Side.BUY),)
    assert first.limit_price == Decimal("1.05") and first.ts == kit.T0
    with queue.begin() as conn:
        again = claim_recommendations(conn, worker="w2", now=kit.T0, limit=2)
        finish_recommendation(
            conn, run_id="run-1", recommendation_id="rec-000", worker="w1", status=ClaimStatus.DONE
        )
        with pytest.raises(PersistenceError, match="not claimed by w2"):
            finish_recommendation(
                conn, run_id="run-1", recommendation_id="rec-001", worker="w2", status=ClaimStatus.DONE
            )
    assert [c.recommendation.recommendation_id for c in again] == ["rec-003", "rec-004"]
    with queue.connect() as conn:
        query = sa.select(t.recommendations.c.recommendation_id, t.recommendations.c.status)
        statuses = {rid: status for rid, status in conn.execute(query)}
    assert (
        statuses["rec-000"] == "done"
        and statuses["rec-001"] == "claimed"
        and statuses["rec-005"] == "pending"
    )


@pytest.mark.postgres
def test_skip_locked_on_postgres_gives_two_open_transactions_different_rows(
    pg_schema_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    with SqlRecorder(pg_schema_url) as rec:
        rec.start_run(scene.info)
        for i in range(6):
            ts = kit.T0 + timedelta(seconds=i)
            r = Recommendation(
                RecommendationId(f"rec-{i}"),
                ts,
                kit.LARGE,
                "SPY",
                "long_call",
                (OrderLeg(kit.CALL, Side.BUY),),
                1,
                None,
                0.7,
                "r",
            )
            rec.record(TickRecords(ts=ts, recommendations=[r]))
        one, two = rec.engine.connect(), rec.engine.connect()
        try:
            # Worker one holds its rows locked (not committed) while worker two claims: no wait, no overlap.
            a = claim_recommendations(one, worker="one", now=kit.T0, limit=3)
            b = claim_recommendations(two, worker="two", now=kit.T0, limit=3)
            c = claim_recommendations(two, worker="two", now=kit.T0, limit=3)
            one.commit()
            two.commit()
        finally:
            one.close()
            two.close()
    ids_a = [x.recommendation.recommendation_id for x in a]
    ids_b = [x.recommendation.recommendation_id for x in b]
    assert ids_a == ["rec-0", "rec-1", "rec-2"]
    assert ids_b == ["rec-3", "rec-4", "rec-5"]
    assert c == []


def test_concurrent_workers_share_the_work_without_overlap(queue: sa.Engine, kit: SimpleNamespace) -> None:
    taken: dict[str, list[str]] = {"w1": [], "w2": [], "w3": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            while True:
                with queue.begin() as conn:
                    got = claim_recommendations(conn, worker=name, now=kit.T0, limit=2)
                if not got:
                    return
                taken[name].extend(c.recommendation.recommendation_id for c in got)
        except BaseException as exc:  # surfaced to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in taken]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    everything = [rid for ids in taken.values() for rid in ids]
    assert sorted(everything) == [f"rec-{i:03d}" for i in range(COUNT)]  # each once, none twice


def test_claim_filters_and_checks_its_limit(queue: sa.Engine, kit: SimpleNamespace) -> None:
    with queue.begin() as conn:
        assert claim_recommendations(conn, worker="w", now=kit.T0, limit=5, account_id="tiny") == []
        assert claim_recommendations(conn, worker="w", now=kit.T0, limit=5, run_id="run-2") == []
        with pytest.raises(PersistenceError, match="limit must be positive"):
            claim_recommendations(conn, worker="w", now=kit.T0, limit=0)
