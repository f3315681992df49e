"""A 2x2 sweep of one-session backtests on a local process pool and on a Dask scheduler with two workers
(started here from the `dask` command, on 127.0.0.1): the same runs, the same figures. Then resumed: the
finished runs are skipped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app

runner = CliRunner()
SPEC = """
days = 1
seed = 11
objective = "total_return"
symbols = "SPY"
[grid]
"strategy.exits.profit_target" = ["0.40", "0.60"]
"strategy.exits.stop_loss" = ["0.20", "0.30"]
"""
DASK = Path(sys.executable).parent / "dask"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Each process was started in a session of its own: end that group (the worker's nanny child too)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    if not DASK.exists():
        pytest.skip("dask is not installed (the [research] extra)")
    info = tmp_path / "scheduler.json"
    common = {
        "cwd": tmp_path,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "start_new_session": True,
    }
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)],
            **common,  # type: ignore[call-overload]
        )
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not info.exists() or not info.read_text().strip():
            assert time.monotonic() < deadline, "the Dask scheduler did not start within 60 s"
            assert procs[0].poll() is None, "the Dask scheduler exited"
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for _ in range(2):
            procs.append(
                subprocess.Popen(
                    [str(DASK), "worker", "--scheduler-file", str(info), "--host", "127.0.0.1",
                     "--nthreads", "1", "--no-dashboard"],
                    **common,  # type: ignore[call-overload]
                )
            )  # fmt: skip
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=60)  # type: ignore[no-untyped-call]
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _sweep(spec: Path, db: str, out: Path, *how: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["sweep", str(spec), "--db", db, "--out", str(out), "--json", *how])
    assert result.exit_code == 0, result.output
    text = result.stdout
    rows: list[dict[str, object]] = json.loads(text[text.index("[") :])
    return rows


def test_local_pool_and_dask_cluster_give_the_same_results(tmp_path: Path, dask_cluster: str) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    local = _sweep(spec, f"sqlite:///{tmp_path / 'local.db'}", tmp_path / "out", "--workers", "2")
    remote = _sweep(spec, f"sqlite:///{tmp_path / 'dask.db'}", tmp_path / "out", "--cluster", dask_cluster)
    assert len(local) == 4 and all(r["status"] == "done" for r in local)
    assert remote == local  # the same ranking, run ids, parameters and figures
    params = {tuple(sorted(r["params"].items())) for r in local}  # type: ignore[attr-defined]
    assert len(params) == 4
    scores = [r["score"] for r in local]
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]

    again = _sweep(spec, f"sqlite:///{tmp_path / 'local.db'}", tmp_path / "out", "--workers", "2")
    assert [r["status"] for r in again] == ["resumed"] * 4
    assert [(r["run_id"], r["figures"]) for r in again] == [(r["run_id"], r["figures"]) for r in local]
    listed = runner.invoke(app, ["runs", "list", "--db", f"sqlite:///{tmp_path / 'local.db'}", "--json"])
    assert {r["run_id"] for r in json.loads(listed.stdout)} == {r["run_id"] for r in local}
