"""Entry Greeks and IV of a position are stored, read back by the loaders, and migrated in and out."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from alembic import command

from optionpilot.core.errors import PersistenceError
from optionpilot.domain.instruments import AssetClass, Market, Underlying
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.migrate import alembic_config, current_revision, upgrade
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.persistence.strategy_store import load_positions

SPY = {"SPY": Underlying("SPY", asset_class=AssetClass.ETF)}


def test_entry_greeks_are_stored_and_reloaded(db_url: str, scene: SimpleNamespace) -> None:
    tick = scene.ticks[1]
    position = tick.positions[0]
    position.entry_delta, position.entry_theta = 104.25, -8.5
    position.entry_vega, position.entry_iv = 21.75, 0.1834
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        rec.record(scene.ticks[0])
        rec.record(tick)
        loaded = load_positions(rec.engine, scene.info.run_id, "large", SPY, Market.US)
    assert [p.position_id for p in loaded] == [position.position_id]
    back = loaded[0]
    assert (back.entry_delta, back.entry_theta, back.entry_vega, back.entry_iv) == (
        104.25,
        -8.5,
        21.75,
        0.1834,
    )


def test_a_position_without_entry_greeks_reads_back_none(db_url: str, scene: SimpleNamespace) -> None:
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        for tick in scene.ticks:
            rec.record(tick)
        loaded = load_positions(rec.engine, scene.info.run_id, "large", SPY, Market.US)
    assert loaded and all(p.entry_delta is None and p.entry_iv is None for p in loaded)


def test_a_nan_entry_greek_is_refused_by_name(db_url: str, scene: SimpleNamespace) -> None:
    tick = scene.ticks[1]
    tick.positions[0] = dataclasses.replace(tick.positions[0], entry_iv=float("nan"))
    with SqlRecorder(db_url) as rec:
        rec.start_run(scene.info)
        with pytest.raises(PersistenceError, match="entry IV of position pos-1"):
            rec.record(tick)


def _columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns("positions")}
    finally:
        engine.dispose()


def _downgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def test_the_migration_adds_and_removes_the_columns(db_url: str, scene: SimpleNamespace) -> None:
    greeks = {"entry_delta", "entry_theta", "entry_vega", "entry_iv"}
    upgrade(db_url)
    with SqlRecorder(db_url) as rec:  # a position stored at head survives the way down and back up
        rec.start_run(scene.info)
        rec.record(scene.ticks[0])
        rec.record(scene.ticks[1])
    assert greeks <= _columns(db_url)
    _downgrade(db_url, "0004_order_core")
    assert not greeks & _columns(db_url)
    engine = create_engine(db_url)
    try:
        assert current_revision(engine) == "0004_order_core"
        with engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT position_id FROM positions")).scalars().all()
        assert kept == ["pos-1"]
    finally:
        engine.dispose()
    upgrade(db_url)
    assert greeks <= _columns(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(t.positions.c.position_id, t.positions.c.entry_iv)).all()
        assert [(str(pid), iv) for pid, iv in rows] == [("pos-1", None)]
    finally:
        engine.dispose()
