"""IV history, strategy candidates and allocations: stored exactly; IV kept once per symbol, day, source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from optionpilot.core.errors import PersistenceError
from optionpilot.domain.orders import OrderLeg, Side
from optionpilot.persistence import tables as t
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.persistence.rows import legs_from_json
from optionpilot.persistence.scan_records import AllocationRecord, IvPoint, StrategyCandidateRecord


def test_iv_history_upserts_one_row_per_symbol_day_source(db_url: str) -> None:
    with SqlRecorder(db_url) as rec:
        rec.record_iv_history(
            [IvPoint("SPY", date(2024, 3, 4), 0.141, "chain"), IvPoint("QQQ", date(2024, 3, 4), 0.2, "chain")]
        )
        rec.record_iv_history([IvPoint("SPY", date(2024, 3, 4), 0.145, "chain")])  # a later, better estimate
        with pytest.raises(PersistenceError, match="ATM IV of SPY on 2024-03-05"):
            rec.record_iv_history([IvPoint("SPY", date(2024, 3, 5), float("inf"), "chain")])
        with rec.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.iv_history.c.symbol, t.iv_history.c.atm_iv).order_by(t.iv_history.c.symbol)
            ).all()
    assert [tuple(r) for r in rows] == [("QQQ", 0.2), ("SPY", 0.145)]


def test_candidates_and_allocations_round_trip(
    db_url: str, scene: SimpleNamespace, kit: SimpleNamespace
) -> None:
    legs = (
        OrderLeg(kit.CALL, Side.BUY),
        OrderLeg(kit.CALL.__class__("SPY", kit.CALL.expiry, Decimal("515"), kit.CALL.right), Side.SELL),
    )
    cand = StrategyCandidateRecord(
        candidate_id="c-1",
        ts=kit.T0,
        underlying="SPY",
        strategy_type="bull_call_spread",
        legs=legs,
        net_premium=Decimal("215.00"),
        max_profit=Decimal("285.00"),
        max_loss=Decimal("215.00"),
        breakevens=(Decimal("512.15"),),
        pop=0.46,
        expected_value=Decimal("-3.20"),
        margin=Decimal("215.00"),
        score=71.5,
        conviction="HIGH",
        reason="bullish momentum, IV normal",
        delta=31.0,
        score_components={"momentum": 0.12, "complexity": -0.05},
    )
    alloc = AllocationRecord(
        "plan-1",
        "c-1",
        kit.T0,
        "tier1",
        "technology",
        "LONG",
        3,
        Decimal("645.00"),
        Decimal("645.00"),
        Decimal("25.80"),
        0.12,
        "tier 1: 60% of capital",
    )
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        rec.record_candidates([cand])
        rec.record_allocations([alloc])
        with rec.engine.connect() as conn:
            c = conn.execute(sa.select(t.strategy_candidates)).one()
            a = conn.execute(sa.select(t.allocations)).one()
    assert legs_from_json(c.legs) == legs
    assert (c.net_premium, c.max_profit, c.expected_value) == (
        Decimal("215.00"),
        Decimal("285.00"),
        Decimal("-3.20"),
    )
    assert c.breakevens == ["512.15"] and c.score_components == {"momentum": 0.12, "complexity": -0.05}
    assert (a.lots, a.capital, a.position_type) == (3, Decimal("645.00"), "LONG")
