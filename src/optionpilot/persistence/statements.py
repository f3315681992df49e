"""The recorder's SQL: a tick's rows per statement, and the insert and upsert statements of one dialect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from optionpilot.persistence import rows as r
from optionpilot.persistence import tables as t


@dataclass(slots=True)
class TickRows:
    ts: datetime
    batches: list[tuple[Any, list[r.Row]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(rows) for _, rows in self.batches)


class Statements:
    """Insert and upsert statements for one dialect, built once; upserts know their keys."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.upsert_keys: dict[int, list[str]] = {}
        self.news = self._insert(t.news).on_conflict_do_nothing(index_elements=["run_id", "news_id"])
        self.upsert_keys[id(self.news)] = ["run_id", "news_id"]
        self.features = t.features.insert()
        self.signals = t.signals.insert()
        self.recommendations = t.recommendations.insert()
        self.rejections = t.rejections.insert()
        self.orders = t.orders.insert()
        self.order_upsert = self._upsert(t.orders, ["client_order_id"], keep=("run_id", "created_at"))
        self.order_events = t.order_events.insert()
        self.fills = t.fills.insert()
        self.settlements = t.settlements.insert()
        self.ledger = t.ledger_entries.insert()
        self.position_upsert = self._upsert(t.positions, ["run_id", "position_id"])
        self.leg_upsert = self._upsert(t.position_legs, ["run_id", "position_id", "instrument_key"])
        self.position_events = t.position_events.insert()
        self.equity = t.equity_points.insert()
        self.incidents = t.incidents.insert()
        self.iv_upsert = self._upsert(t.iv_history, ["symbol", "day", "source"], keep=("run_id",))

    def _insert(self, table: sa.Table) -> Any:
        return postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)

    def _upsert(self, table: sa.Table, keys: list[str], keep: tuple[str, ...] = ()) -> Any:
        stmt = self._insert(table)
        changing = {
            c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys and c.name not in keep
        }
        upsert = stmt.on_conflict_do_update(index_elements=keys, set_=changing)
        self.upsert_keys[id(upsert)] = keys
        return upsert

    def merge(self, ticks: list[TickRows]) -> list[tuple[Any, list[r.Row]]]:
        """One executemany per statement for several ticks, keeping each tick's table order.

        Rows of an upsert are reduced to the last per key: PostgreSQL refuses to touch one row twice in a
        single multi-row insert, and the last state is the current one anyway.
        """
        merged: dict[int, tuple[Any, list[r.Row]]] = {}
        for tick in ticks:
            for stmt, rows in tick.batches:
                merged.setdefault(id(stmt), (stmt, []))[1].extend(rows)
        out: list[tuple[Any, list[r.Row]]] = []
        for key, (stmt, rows) in merged.items():
            keys = self.upsert_keys.get(key)
            if keys is not None:
                rows = list({tuple(row[k] for k in keys): row for row in rows}.values())
            out.append((stmt, rows))
        return out
