"""The instruments table: a broker's security master written whole-file at a time, read by security id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from optionpilot.persistence.migrate import upgrade_engine
from optionpilot.persistence.tables import instruments


@dataclass(frozen=True, slots=True)
class StoreCounts:
    inserted: int
    updated: int
    unchanged: int


_KEY = ("broker", "exchange", "segment", "security_id")


def store_instruments(engine: sa.Engine, broker: str, rows: Sequence[Mapping[str, object]]) -> StoreCounts:
    """Insert new instruments (each a mapping of the table's columns but `broker`) and update changed
    ones (a lot size or freeze limit the exchange revised); re-importing the same file changes nothing.
    The schema is brought current first."""
    upgrade_engine(engine)
    with engine.begin() as conn:
        stored = conn.execute(sa.select(instruments).where(instruments.c.broker == broker)).mappings()
        existing = {tuple(m[k] for k in _KEY): dict(m) for m in stored}
        inserted = updated = unchanged = 0
        new: list[dict[str, object]] = []
        for r in rows:
            values = {**r, "broker": broker}
            key = tuple(values[k] for k in _KEY)
            old = existing.get(key)
            if old is None:
                new.append(values)
                existing[key] = values
                inserted += 1
            elif old == values:
                unchanged += 1
            else:
                where = sa.and_(*(instruments.c[k] == values[k] for k in _KEY))
                conn.execute(sa.update(instruments).where(where).values(**values))
                existing[key] = values
                updated += 1
        if new:
            conn.execute(sa.insert(instruments), new)
    return StoreCounts(inserted, updated, unchanged)


def lookup_instrument(engine: sa.Engine, broker: str, security_id: int) -> dict[str, object] | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(instruments).where(
                instruments.c.broker == broker, instruments.c.security_id == security_id
            )
        ).first()
    return None if row is None else dict(row._mapping)


def load_instruments(engine: sa.Engine, broker: str) -> list[dict[str, object]]:
    """Every stored instrument of `broker`, as column mappings (for the adapter's security master)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(instruments).where(instruments.c.broker == broker)).mappings()
        return [dict(r) for r in rows]
