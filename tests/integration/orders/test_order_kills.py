"""SIGKILL through the order lifecycle: a backtest process killed after an order is stored and before it
is sent, after it is sent, after a fill is applied and before it is recorded, and inside the commit that
stores fills. After each kill the database must hold no half-applied fill (a fill without its ledger
entries, or entries without their fill), no order stored twice and no fill of an order it does not hold;
and a new process must open and write it again."""

import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.persistence import tables as t

pytestmark = pytest.mark.slow

_CHILD = r"""
import os, signal, sys
point, nth, db = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import sqlalchemy.engine
from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.engine.journal import Journal
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.persistence import tables as t
from optionpilot.testing.backtests import run_backtest

seen = 0
def after(cls, name, match=lambda *a: True):
    original = getattr(cls, name)
    def wrapped(self, *args, **kw):
        global seen
        out = original(self, *args, **kw)
        if match(*args):
            seen += 1
            if seen == nth:
                os.kill(os.getpid(), signal.SIGKILL)
        return out
    setattr(cls, name, wrapped)

if point == "stored":  # the order is in the database, the broker has not seen it
    after(Journal, "before_send")
elif point == "sent":  # the broker has it, no answer processed
    after(SimulatedBroker, "submit")
elif point == "fill":  # the fill is in the book, not in the database
    after(OrderManager, "_on_fill")
elif point == "commit":  # fills inserted, their transaction not committed
    after(sqlalchemy.engine.Connection, "execute", lambda stmt, *a: getattr(stmt, "table", None) is t.fills)
run_backtest(db, market={"sessions": 2}, run={"seed": 3})
print("finished")
"""

# (kill point, occurrence at which to kill): 13 kills per database, 26 in all.
KILLS = [("stored", n) for n in (1, 3, 8)] + [("sent", n) for n in (1, 4, 10)]
KILLS += [("fill", n) for n in (1, 3, 7, 12)] + [("commit", n) for n in (1, 3, 6)]


def _check(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        orders = conn.execute(sa.select(t.orders.c.client_order_id)).scalars().all()
        fills = conn.execute(sa.select(t.fills.c.fill_id, t.fills.c.client_order_id, t.fills.c.fee)).all()
        refs = conn.execute(sa.select(t.ledger_entries.c.ref, t.ledger_entries.c.kind)).all()
    engine.dispose()
    assert len(orders) == len(set(orders)), "an order stored twice"
    known = set(orders)
    by_ref: dict[str, set[str]] = {}
    for ref, kind in refs:
        by_ref.setdefault(ref, set()).add(kind)
    for fill_id, cid, fee in fills:
        assert cid in known, f"fill {fill_id} of an order the database does not hold"
        kinds = by_ref.get(fill_id, set())
        assert kinds & {"premium", "stock"}, f"fill {fill_id} stored without its ledger entry"
        assert ("fee" in kinds) == (Decimal(fee) != 0), f"fill {fill_id}: fee entry missing or extra"
    fill_ids = {f[0] for f in fills}
    stray = [ref for ref, kind in refs if kind in ("premium", "stock", "fee") and ref not in fill_ids]
    assert not stray, f"ledger entries of fills never stored: {stray[:3]}"
    return {"orders": len(orders), "fills": len(fills)}


def _kill_all(url: str) -> list[tuple[str, int, int]]:
    outcomes = []
    for point, nth in KILLS:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, point, str(nth), url], check=False, capture_output=True, text=True
        )
        assert done.returncode in (-signal.SIGKILL, 0), done.stderr[-2000:]
        outcomes.append((point, nth, done.returncode))
        _check(url)  # after each kill, before the next process writes
    return outcomes


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_sigkill_at_every_point_of_the_order_lifecycle_leaves_no_half_applied_fill(
    db: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'kills.sqlite'}"
        if db == "sqlite"
        else request.getfixturevalue("pg_schema_url")
    )
    outcomes = _kill_all(url)
    killed = [o for o in outcomes if o[2] == -signal.SIGKILL]
    print(f"{db}: {len(killed)} of {len(outcomes)} runs killed; {_check(url)}")
    assert len(killed) == len(KILLS)  # every point was reached: none of these runs may finish
