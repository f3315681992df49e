from __future__ import annotations

import numpy as np
import pytest

from optionpilot.reports.svg import Line, bar_chart, decimate, line_chart, nice_ticks


@pytest.mark.parametrize(
    ("lo", "hi"), [(120_000, 144_002), (0, 1), (-3.39, 0), (5, 5), (0, 0), (-0.1, 0.3), (1e-9, 3e-9)]
)
def test_nice_ticks_cover_the_range(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi
    assert 2 <= len(ticks) <= 8
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])


def test_nice_ticks_refuse_infinite() -> None:
    with pytest.raises(ValueError, match="not finite"):
        nice_ticks(0.0, float("inf"))


def test_decimate_keeps_ends_and_spikes() -> None:
    values = np.zeros(10_000)
    values[4321] = 50.0
    values[777] = -20.0
    idx, kept = decimate(values, 200)
    assert len(idx) <= 202
    assert idx[0] == 0 and idx[-1] == 9_999
    assert 50.0 in kept and -20.0 in kept
    assert np.all(np.diff(idx) > 0)


def test_decimate_leaves_short_series_alone() -> None:
    idx, kept = decimate(np.arange(5.0), 200)
    assert idx.tolist() == [0, 1, 2, 3, 4] and kept.tolist() == [0, 1, 2, 3, 4]


def test_line_chart_names_bad_input() -> None:
    with pytest.raises(ValueError, match="'equity' has 2 values, not 3"):
        line_chart([Line(np.array([1.0, 2.0]), "equity", "#000")], n=3, x_ticks=[], title="Equity")
    with pytest.raises(ValueError, match="not finite"):
        line_chart([Line(np.array([1.0, np.nan]), "equity", "#000")], n=2, x_ticks=[], title="Equity")


def test_chart_text_is_escaped() -> None:
    svg = line_chart(
        [Line(np.array([1.0, 2.0]), "a<b", "#000"), Line(np.array([0.0, 1.0]), "c", "#111")],
        n=2,
        x_ticks=[(0, "<x>")],
        title="T & <U>",
    )
    assert "<x>" not in svg and "&lt;x&gt;" in svg and "a&lt;b" in svg and "T &amp; &lt;U&gt;" in svg
    bars = bar_chart(["<s>"], [1.0], title="t", value_format=str)
    assert "<s>" not in bars and "&lt;s&gt;" in bars


def test_bar_chart_empty_and_mismatched() -> None:
    assert "No closed trades" in bar_chart([], [], title="t", value_format=str)
    with pytest.raises(ValueError, match="1 labels for 2 values"):
        bar_chart(["a"], [1.0, 2.0], title="t", value_format=str)
