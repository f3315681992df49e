"""The sweep's spec: grid expansion, ranges, identity for resuming, one-line errors; and the ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from optionpilot.app.sweep_rank import rank
from optionpilot.app.sweep_runner import Outcome
from optionpilot.app.sweep_spec import SweepSpec, load_spec, nested, param_key
from optionpilot.app.sweep_task import SweepTask
from optionpilot.core.errors import ConfigError


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def test_the_grid_expands_to_every_combination(tmp_path: Path) -> None:
    loaded = load_spec(
        _spec(
            tmp_path,
            'days = 2\nseed = 11\n[grid]\n"strategy.exits.profit_target" = ["0.40", "0.50"]\n'
            '"strategy.exits.stop_loss" = { from = 0.20, to = 0.30, step = 0.05 }\n',
        )
    )
    sets = loaded.parameter_sets()
    assert len(sets) == 6
    assert sets[0] == {"strategy.exits.profit_target": "0.40", "strategy.exits.stop_loss": "0.20"}
    assert [s["strategy.exits.stop_loss"] for s in sets[:3]] == ["0.20", "0.25", "0.30"]
    assert loaded.sweep_id == load_spec(loaded.path).sweep_id  # the same spec resumes the same sweep
    other = load_spec(_spec(tmp_path, 'days = 3\n[grid]\n"strategy.exits.stop_loss" = ["0.2"]\n'))
    assert other.sweep_id != loaded.sweep_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("days = 2\n", "'grid': Field required"),
        ('days = 2\nbogus = 1\n[grid]\n"a.b" = [1]\n', "unknown key 'bogus'"),
        ('objective = "luck"\n[grid]\n"a.b" = [1]\n', "'objective'"),
        ('config = "none.toml"\n[grid]\n"a.b" = [1]\n', "no such file"),
        ('[grid]\n"a.b" = { from = 1, to = 0, step = 1 }\n', "from <= to"),
        ("days = [\n", "sweep spec"),
    ],
)
def test_a_bad_spec_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_spec(_spec(tmp_path, text))
    assert "\n" not in str(info.value)


def test_dotted_keys_nest_and_param_keys_are_stable() -> None:
    assert nested({"a.b.c": 1, "a.d": 2}) == {"a": {"b": {"c": 1}, "d": 2}}
    k = param_key({"x": 1}, ("2026-01-05", "None/2"), "grid", 7)
    assert k == param_key({"x": 1}, ("2026-01-05", "None/2"), "grid", 7)
    assert k != param_key({"x": 1}, ("2026-01-05", "None/2"), "grid", 8)


def _outcome(i: int, figures: dict[str, float | None], status: str = "done") -> Outcome:
    task = SweepTask(i, f"k{i}", {"p": i}, "grid", None, f"r{i}", {}, "sqlite://", "out", 1)
    return Outcome(task, status, f"r{i}", {"large": dict(figures)} if status == "done" else {})


def test_rank_by_objective_with_a_drawdown_cap_and_failures_last() -> None:
    spec = SweepSpec(objective="sharpe", max_drawdown_cap=0.10, grid={"p": [1]})
    outcomes = [
        _outcome(0, {"sharpe": 1.0, "max_drawdown": 0.05}),
        _outcome(1, {"sharpe": 3.0, "max_drawdown": 0.20}),  # best Sharpe, but beyond the cap
        _outcome(2, {"sharpe": 2.0, "max_drawdown": 0.02}),
        _outcome(3, {}, status="failed"),
        _outcome(4, {"sharpe": None, "max_drawdown": 0.01}),
    ]
    ranked = rank(outcomes, spec)
    assert [r.outcome.run_id for r in ranked] == ["r2", "r0", "r4", "r1", "r3"]
    assert [r.rank for r in ranked] == [1, 2, 3, 4, None]
    by_dd = rank(outcomes, SweepSpec(objective="max_drawdown", grid={"p": [1]}))
    assert [r.outcome.run_id for r in by_dd][:3] == ["r4", "r2", "r0"]
