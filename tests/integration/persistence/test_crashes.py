"""Real SIGKILLs on real databases: the first migration and a running backtest, then the next command.

A subset of the matrix runs here; `benchmarks/crash_matrix.py` runs the full one (over 50 kills).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.persistence.migrate import head_revision
from optionpilot.testing.crash_matrix import (
    MIGRATION_POINTS,
    RUN_POINTS,
    fresh_database,
    inspect,
    kill_case,
    spawn,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_POINTS = {name: p for p in MIGRATION_POINTS + RUN_POINTS for name in [p[0]]}
CHOSEN = ["middle CREATE", "accounts, no deposit yet", "fill, no ledger"]


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql":
        request.getfixturevalue("pg_url")  # skips, or fails under OPTIONPILOT_REQUIRE_POSTGRES=1
    return name


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
@pytest.mark.parametrize("point", CHOSEN)
def test_a_kill_at_a_chosen_point_leaves_a_database_the_next_command_opens_whole(
    backend: str, point: str, tmp_path: Path
) -> None:
    case = kill_case(backend, _POINTS[point], tmp_path, random.Random(0))
    assert case.killed
    assert case.verdict.opened, case.verdict.error
    assert case.verdict.problems == []
    if case.mode == "backtest" and point != "run row claimed":
        assert list(case.verdict.statuses.values()) == ["interrupted"]


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_a_kill_at_a_random_moment_of_a_backtest_leaves_no_half_tick(backend: str, tmp_path: Path) -> None:
    case = kill_case(backend, None, tmp_path, random.Random(12), mode="backtest")
    assert case.verdict.opened, case.verdict.error
    assert case.verdict.problems == []
    # Interrupted when killed mid-run; completed when the kill came after finish_run or never came.
    assert case.verdict.ok
    assert set(case.verdict.statuses.values()) <= (
        {"interrupted", "completed"} if case.killed else {"completed"}
    )


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_four_first_runs_started_together_all_succeed_with_distinct_run_ids(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        procs = [spawn(url, "claim") for _ in range(4)]
        outputs = [p.communicate(timeout=180) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outputs]
        ids = sorted(
            line.split()[1] for out, _ in outputs for line in out.splitlines() if line.startswith("run ")
        )
        assert ids == ["claim", "claim-2", "claim-3", "claim-4"]
        verdict = inspect(url)
        assert verdict.ok, verdict.problems
        assert set(verdict.statuses.values()) == {"completed"}
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        assert versions == [head_revision()]
