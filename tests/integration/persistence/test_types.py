"""Decimal money and aware timestamps round-trip exactly on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from optionpilot.persistence.database import create_engine
from optionpilot.persistence.types import Money, UtcDateTime

VALUES = [
    "0.1",
    "0.01",
    "1.50",
    "-252.00",
    "121000",
    "123456789012345678.123456789",
    "-0.000000001",
    "0.3333333333333333333333333333",
]


def test_money_and_time_round_trip_exactly(db_url: str) -> None:
    engine = create_engine(db_url)
    table = sa.Table(
        "roundtrip",
        sa.MetaData(),
        sa.Column("i", sa.Integer, primary_key=True),
        sa.Column("v", Money()),
        sa.Column("ts", UtcDateTime()),
    )
    table.create(engine)
    new_york = timezone(timedelta(hours=-5))
    stamp = datetime(2024, 3, 4, 9, 31, 0, 123456, tzinfo=new_york)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"i": i, "v": Decimal(v), "ts": stamp} for i, v in enumerate(VALUES)])
        conn.execute(table.insert(), [{"i": 99, "v": None, "ts": None}])
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.i)).all()
    engine.dispose()
    got = [row.v for row in rows[:-1]]
    assert all(isinstance(v, Decimal) for v in got)
    # The same digits and the same exponent: 1.50 stays 1.50, not 1.5 or 1.5000000001.
    assert [v.as_tuple() for v in got] == [Decimal(v).as_tuple() for v in VALUES]
    assert rows[0].ts == stamp and rows[0].ts.tzinfo == UTC
    assert rows[-1].v is None and rows[-1].ts is None


def test_naive_timestamps_are_refused(db_url: str) -> None:
    engine = create_engine(db_url)
    table = sa.Table("naive", sa.MetaData(), sa.Column("ts", UtcDateTime()))
    table.create(engine)
    with engine.begin() as conn, pytest.raises(sa.exc.StatementError, match="naive datetime"):
        conn.execute(table.insert(), [{"ts": datetime(2024, 1, 2, 3, 4)}])
    engine.dispose()
