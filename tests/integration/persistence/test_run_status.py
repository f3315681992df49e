"""A run's status: running while its process lives, then completed, failed or interrupted."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from tests.integration.persistence.conftest import T0, run_info

from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import PersistenceError
from optionpilot.persistence import tables as t
from optionpilot.persistence.read_models import ReadModels
from optionpilot.persistence.recorder import SqlRecorder
from optionpilot.persistence.run_status import mark_dead_runs


def _status(rec: SqlRecorder, run_id: str) -> tuple[str, str | None]:
    with rec.engine.connect() as conn:
        row = conn.execute(sa.select(t.runs.c.status, t.runs.c.error).where(t.runs.c.run_id == run_id)).one()
    return row.status, row.error


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid names no process now
    return proc.pid


def test_a_run_is_running_then_completed_and_the_read_model_shows_it(db_url: str) -> None:
    with SqlRecorder(db_url) as rec:
        rec.start_run(run_info())
        assert _status(rec, "run-1") == ("running", None)
        rec.finish_run("run-1", T0, "{}")
        assert _status(rec, "run-1") == ("completed", None)
        (row,) = ReadModels(rec.engine).runs()
        assert (row.status, row.error, row.host is not None) == ("completed", None, True)


def test_an_exception_in_the_run_marks_it_failed_with_one_line(db_url: str) -> None:
    with pytest.raises(ValueError), SqlRecorder(db_url) as rec:
        rec.start_run(run_info())
        raise ValueError("bad quote at row 7\nsecond line")
    with SqlRecorder(db_url) as again:
        assert _status(again, "run-1") == ("failed", "bad quote at row 7")


def test_the_next_opener_marks_a_run_whose_process_is_gone_interrupted(db_url: str) -> None:
    with SqlRecorder(db_url) as rec:
        rec.start_run(run_info())
        rec.start_run(run_info("run-2"))
        with rec.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.run_id == "run-1").values(pid=_dead_pid()))
    with SqlRecorder(db_url) as nxt:
        assert _status(nxt, "run-1")[0] == "interrupted"
        assert _status(nxt, "run-2")[0] == "running"  # this very process: alive


def test_a_run_on_another_host_is_dead_only_once_its_heartbeat_is_stale(db_url: str) -> None:
    clock = SimulatedClock(T0)
    with SqlRecorder(db_url, heartbeat_clock=clock) as rec:
        rec.start_run(run_info())
        with rec.engine.begin() as conn:
            conn.execute(t.runs.update().values(host="elsewhere", pid=1))
        clock.advance_to(T0 + timedelta(seconds=rec.config.stale_heartbeat_s))
        assert mark_dead_runs(rec.engine, rec.config, clock) == []
        clock.advance_to(T0 + timedelta(seconds=rec.config.stale_heartbeat_s + 1))
        assert mark_dead_runs(rec.engine, rec.config, clock) == ["run-1"]
        assert _status(rec, "run-1")[0] == "interrupted"


def test_claiming_a_run_id_moves_on_when_another_process_took_it_after_the_read(db_url: str) -> None:
    with SqlRecorder(db_url) as first, SqlRecorder(db_url) as second:
        first.start_run(run_info("bt"))

        def names() -> Iterator[str]:
            yield "bt"  # taken before the claim read the ids: skipped
            first.start_run(run_info("bt-2"))  # taken between the read and the insert: the key refuses
            yield "bt-2"
            yield "bt-3"

        assert second.claim_run(run_info("bt"), names()).run_id == "bt-3"
        with pytest.raises(PersistenceError, match="no free run id"):
            second.claim_run(run_info(), iter(["bt", "bt-2"]))
