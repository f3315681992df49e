"""Kill the crash driver and judge what it left: bricked or not, run status, half ticks, the ledger.

`inspect(url)` is "the next command": it opens the database the way every command does (migrate to head,
mark dead runs interrupted), then checks what a tick's transaction promises. `kill_case` runs one kill.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from optionpilot.core.errors import PersistenceError
from optionpilot.persistence.migrate import current_revision, head_revision
from optionpilot.persistence.recorder import SqlRecorder

# Chosen points: (name, driver mode, statement pattern, nth match). Each kills inside a transaction.
MIGRATION_POINTS = [
    ("first CREATE", "migrate", r"^\s*CREATE TABLE", 1),
    ("middle CREATE", "migrate", r"^\s*CREATE TABLE", 8),
    ("index", "migrate", r"^\s*CREATE (UNIQUE )?INDEX", 3),
    ("version stamp", "migrate", r"INSERT INTO alembic_version", 1),
]
RUN_POINTS = [
    ("run row claimed", "backtest", r"^\s*INSERT INTO runs", 1),
    ("accounts, no deposit yet", "backtest", r"^\s*INSERT INTO accounts", 1),
    ("deposits, no heartbeat", "backtest", r"^\s*INSERT INTO ledger_entries", 1),
    ("order, no events", "backtest", r"^\s*INSERT INTO orders", 1),
    ("fill, no ledger", "backtest", r"^\s*INSERT INTO fills", 1),
    ("second fill", "backtest", r"^\s*INSERT INTO fills", 2),
    ("heartbeat before commit", "backtest", r"^\s*UPDATE runs SET heartbeat_at", 40),
]
# The line a random kill counts from (the database work starts / the run has its row) and how long after
# it the kill may land: the migration, or a small run to its end.
RANDOM_FROM = {"migrate": "opening", "backtest": "run "}
RANDOM_WINDOW_S = {"migrate": 0.8, "backtest": 3.0}
PG_URL = os.environ.get("OPTIONPILOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(slots=True)
class Verdict:
    opened: bool
    error: str = ""
    statuses: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.opened and not self.problems and "running" not in self.statuses.values()


@dataclass(slots=True)
class Case:
    backend: str
    mode: str
    point: str
    killed: bool
    verdict: Verdict


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in `folder`, or a PostgreSQL database dropped afterwards."""
    name = f"op_kill_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        yield f"sqlite:///{folder / (name + '.sqlite')}"
        return
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def spawn(url: str, mode: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "optionpilot.testing.crash_driver", url, mode, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_at_point(url: str, mode: str, pattern: str, nth: int) -> bool:
    """Run the driver until it kills itself after the chosen statement; True when it was killed."""
    proc = spawn(url, mode, "--kill-after", pattern, str(nth))
    proc.communicate(timeout=180)
    return proc.returncode == -9


def kill_at_random(url: str, mode: str, rng: random.Random) -> bool:
    """SIGKILL the driver a random time after its marker line; True when it was killed."""
    proc = spawn(url, mode)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(RANDOM_FROM[mode]):
            break
    # The kill lands at a random moment by design; nothing here asserts a duration.
    time.sleep(rng.uniform(0.0, RANDOM_WINDOW_S[mode]))
    proc.kill()
    proc.communicate(timeout=180)
    return proc.returncode == -9


def inspect(url: str) -> Verdict:
    """Open the database as the next command would, then check its runs, ticks and ledger."""
    try:
        SqlRecorder(url).close()
    except PersistenceError as exc:
        return Verdict(opened=False, error=str(exc).splitlines()[0])
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            verdict = Verdict(opened=True)
            if current_revision(engine) != head_revision():
                verdict.problems.append(f"schema at {current_revision(engine)}, not head")
            rows = conn.execute(sa.text("SELECT run_id, status FROM runs")).all()
            verdict.statuses = {row.run_id: row.status for row in rows}
            for name, sql in _CHECKS:
                for row in conn.execute(sa.text(sql)).all():
                    verdict.problems.append(f"{name}: {tuple(row)}")
    finally:
        engine.dispose()
    return verdict


# Each query returns the rows that break one promise; an empty result keeps it.
_CHECKS = [
    (
        "account without exactly one deposit",
        "SELECT a.run_id, a.account_id, COUNT(l.id) FROM accounts a LEFT JOIN ledger_entries l"
        " ON l.run_id = a.run_id AND l.account_id = a.account_id AND l.kind = 'deposit'"
        " GROUP BY a.run_id, a.account_id HAVING COUNT(l.id) <> 1",
    ),
    (
        "ledger entry of no account",
        "SELECT l.run_id, l.account_id FROM ledger_entries l LEFT JOIN accounts a"
        " ON a.run_id = l.run_id AND a.account_id = l.account_id WHERE a.account_id IS NULL",
    ),
    (
        "fill without its order",
        "SELECT f.fill_id FROM fills f LEFT JOIN orders o ON o.client_order_id = f.client_order_id"
        " WHERE o.client_order_id IS NULL",
    ),
    (
        "fill without its ledger entry",
        "SELECT f.fill_id FROM fills f WHERE NOT EXISTS (SELECT 1 FROM ledger_entries l"
        " WHERE l.run_id = f.run_id AND l.ref = f.fill_id)",
    ),
    (
        "ledger entry without its fill or settlement",
        "SELECT l.id, l.ref FROM ledger_entries l WHERE l.kind <> 'deposit'"
        " AND NOT EXISTS (SELECT 1 FROM fills f WHERE f.run_id = l.run_id AND f.fill_id = l.ref)"
        " AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.run_id = l.run_id AND s.event_id = l.ref)",
    ),
    (
        "order event without its order",
        "SELECT e.id FROM order_events e LEFT JOIN orders o ON o.client_order_id = e.client_order_id"
        " WHERE o.client_order_id IS NULL",
    ),
    (
        "order without its events",
        "SELECT o.client_order_id FROM orders o WHERE NOT EXISTS"
        " (SELECT 1 FROM order_events e WHERE e.client_order_id = o.client_order_id)",
    ),
    (
        "position event without its position",
        "SELECT e.id FROM position_events e LEFT JOIN positions p"
        " ON p.run_id = e.run_id AND p.position_id = e.position_id WHERE p.position_id IS NULL",
    ),
    (
        # The ledger balances: the newest stored cash of each account is the sum of its ledger so far.
        "cash that is not the sum of the ledger",
        "SELECT q.run_id, q.account_id, q.cash, (SELECT SUM(l.amount) FROM ledger_entries l"
        " WHERE l.run_id = q.run_id AND l.account_id = q.account_id) AS ledger FROM equity_points q"
        " WHERE q.id = (SELECT MAX(q2.id) FROM equity_points q2"
        " WHERE q2.run_id = q.run_id AND q2.account_id = q.account_id)"
        " AND q.cash <> (SELECT SUM(l.amount) FROM ledger_entries l"
        " WHERE l.run_id = q.run_id AND l.account_id = q.account_id)",
    ),
]


def kill_case(
    backend: str,
    point: tuple[str, str, str, int] | None,
    folder: Path,
    rng: random.Random,
    mode: str = "backtest",
) -> Case:
    """One kill on a fresh database, judged by `inspect`; `point` None means a random moment in `mode`."""
    with fresh_database(backend, folder) as url:
        if point is None:
            killed = kill_at_random(url, mode, rng)
            name = "random"
        else:
            name, mode, pattern, nth = point
            killed = kill_at_point(url, mode, pattern, nth)
        return Case(backend, mode, name, killed, inspect(url))
