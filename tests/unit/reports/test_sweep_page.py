"""The sweep page: a heat map of two parameters (best green, worst red, missing grey), the ranked table."""

from __future__ import annotations

from pathlib import Path

from optionpilot.reports.sweep_page import SweepRow, render_sweep, write_sweep_page


def _rows() -> list[SweepRow]:
    out = []
    for i, (a, b, score) in enumerate([("0.4", "0.2", 1.5), ("0.4", "0.3", -0.5), ("0.6", "0.2", None)]):
        out.append(SweepRow(i + 1, {"pt": a, "sl": b}, f"run-{i}", score, {"return": "+1.00%"}))
    return out


def test_two_parameters_get_a_heat_map() -> None:
    page = render_sweep("sw-1", "sharpe", _rows())
    assert 'class="heat"' in page and "sharpe by pt (across) and sl (down)" in page
    assert "rgb(80,230,130)" in page  # the best cell
    assert "rgb(230,120,130)" in page  # the worst
    assert "#e5e5e5" in page  # no value (and the empty corner of the grid)
    assert page.count("<tr><td>") == 3 and "run-2" in page


def test_one_parameter_has_only_the_table(tmp_path: Path) -> None:
    rows = [SweepRow(1, {"pt": "0.4"}, "run-0", 0.1, {})]
    rows.append(SweepRow(None, {"pt": "<b>"}, "run-1", None, {}, "bad"))
    path = write_sweep_page("sw-2", "sharpe", rows, tmp_path / "out")
    page = path.read_text()
    assert path.name == "sw-2.html" and 'class="heat"' not in page
    assert "&lt;b&gt;" in page and "<b>" not in page.split("<body>")[1]
