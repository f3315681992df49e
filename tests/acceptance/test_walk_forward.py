"""`sweep --walk-forward TRAIN:TEST` over the shared SPY 2021 end-of-day chains: folds roll, each chooses on
train and is scored on the next test window, and the out-of-sample figures are stitched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_walk_forward_on_spy_2021(shared_data: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        f'seed = 7\nobjective = "total_return"\ndata = "{shared_data / "options/eod/spy_2021"}"\n'
        'start = "2021-03-01"\nend = "2021-03-31"\n[grid]\n"strategy.exits.stop_loss" = ["0.20", "0.30"]\n'
    )
    db = f"sqlite:///{tmp_path / 'wf.db'}"
    args = ["sweep", str(spec), "--walk-forward", "10:5", "--workers", "2", "--db", db]
    args += ["--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    folds = report["folds"]
    assert len(folds) == 2  # 23 sessions: train 10 + test 5, rolled by 5
    assert folds[0]["train"] == ["2021-03-01", "2021-03-12"]
    assert folds[0]["test"] == ["2021-03-15", "2021-03-19"]
    assert folds[1]["train"][0] == "2021-03-08"
    for f in folds:
        assert f["params"] is not None and f["test_run"] and f["train_run"] != f["test_run"]
        assert "final_equity" in f["out_of_sample"]
    growth = 1.0
    for f in folds:
        growth *= 1.0 + f["out_of_sample"]["total_return"]
    assert report["out_of_sample"]["total_return"] == pytest.approx(growth - 1.0)
    assert report["in_sample"]["folds"] == 2 and report["failed"] == []

    short = runner.invoke(app, [*args[:2], "--walk-forward", "20:10", *args[6:]])
    assert short.exit_code == 2 and "fewer than one fold's 30" in short.output
