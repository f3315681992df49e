"""A run's status and who runs it: running, completed, failed (with its one-line error) or interrupted.

A running run names its process (pid and host) and carries a heartbeat the recorder refreshes on each
commit. The next process that opens the database (`migrate.upgrade_engine`, which every writer passes)
marks a running run interrupted when its process is gone: on this host, its pid is no longer alive; on
another host, its heartbeat is older than `DatabaseConfig.stale_heartbeat_s`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from optionpilot.core.clock import Clock, LiveClock
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import DatabaseConfig


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class Owner:
    pid: int
    host: str

    @classmethod
    def this_process(cls) -> Owner:
        return cls(os.getpid(), socket.gethostname())


def owner_values(owner: Owner, clock: Clock) -> dict[str, object]:
    """The columns that claim a run for `owner`, status running, heartbeat now."""
    return {
        "status": RunStatus.RUNNING.value,
        "error": None,
        "pid": owner.pid,
        "host": owner.host,
        "heartbeat_at": clock.now(),
    }


def beat(conn: Connection, run_id: str, clock: Clock) -> None:
    """Refresh the heartbeat inside the caller's transaction, so it moves only when records are stored."""
    conn.execute(t.runs.update().where(t.runs.c.run_id == run_id).values(heartbeat_at=clock.now()))


def set_status(conn: Connection, run_id: str, status: RunStatus, error: str | None = None) -> int:
    """Leave `running` for `status`; only a run still running changes, so a finished run stays finished."""
    r = t.runs.c
    result = conn.execute(
        t.runs.update()
        .where(r.run_id == run_id, r.status == RunStatus.RUNNING.value)
        .values(status=status.value, error=error)
    )
    return int(result.rowcount)


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs here; a zombie (killed, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state is the field after the parenthesized command name.
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def mark_dead_runs(engine: Engine, config: DatabaseConfig, clock: Clock | None = None) -> list[str]:
    """Mark interrupted every running run whose process is gone; returns their ids."""
    now = (clock or LiveClock()).now()
    me = Owner.this_process()
    stale = now - timedelta(seconds=config.stale_heartbeat_s)
    r = t.runs.c
    with engine.connect() as conn:
        running = conn.execute(
            sa.select(r.run_id, r.pid, r.host, r.heartbeat_at).where(r.status == RunStatus.RUNNING.value)
        ).all()
    dead = [row.run_id for row in running if _is_dead(row.pid, row.host, row.heartbeat_at, me, stale)]
    if dead:
        with engine.begin() as conn:
            for run_id in dead:
                set_status(conn, run_id, RunStatus.INTERRUPTED)
    return dead


def _is_dead(
    pid: int | None, host: str | None, heartbeat: datetime | None, me: Owner, stale: datetime
) -> bool:
    if pid is not None and host == me.host:
        return pid != me.pid and not pid_alive(pid)
    return heartbeat is None or heartbeat < stale
