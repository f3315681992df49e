"""Inline SVG charts drawn in Python, so the report needs no script, font or file from anywhere else."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt
from markupsafe import Markup

from optionpilot.reports.display import compact

FloatArray = npt.NDArray[np.float64]
Formatter = Callable[[float], str]

_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 16, 30, 34
_AXIS = "#9aa3ad"
_GRID = "#e6e9ed"
_TEXT = "#4a5560"
POSITIVE = "#1f9d55"
NEGATIVE = "#d64545"


@dataclass(frozen=True, slots=True)
class Line:
    values: FloatArray  # one value per x position 0..n-1
    label: str
    color: str
    dashed: bool = False
    fill: bool = False  # shade between the line and zero


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round axis values covering [lo, hi] (the classic 1-2-5 steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"axis range [{lo}, {hi}] is not finite")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.01 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [start]
    # Step by index, not by adding, so float error cannot add or drop a tick.
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(start + len(ticks) * step)
    return [round(t, 12) for t in ticks]


def decimate(values: FloatArray, max_points: int) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """At most about `max_points` samples that keep each bucket's low and high, so spikes survive."""
    n = len(values)
    if n <= max_points:
        return np.arange(n, dtype=np.int64), np.asarray(values, dtype=np.float64)
    buckets = max(max_points // 2, 1)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep: list[int] = []
    for a, b in itertools.pairwise(edges.tolist()):
        if b <= a:
            continue
        chunk = values[a:b]
        i, j = a + int(np.argmin(chunk)), a + int(np.argmax(chunk))
        keep.extend(sorted({int(i), int(j)}))
    keep[0], keep[-1] = 0, n - 1
    idx = np.asarray(sorted(set(keep)), dtype=np.int64)
    return idx, np.asarray(values, dtype=np.float64)[idx]


def _text(x: float, y: float, s: str, *, anchor: str = "middle", size: int = 11, weight: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{_TEXT}"{bold}>'
        f"{escape(s)}</text>"
    )


def _empty(width: int, height: int, title: str, message: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
        + _text(_LEFT, 18, title, anchor="start", size=13, weight="600")
        + _text(width / 2, height / 2, message, size=13)
        + "</svg>"
    )


def line_chart(
    lines: Sequence[Line],
    *,
    n: int,
    x_ticks: Sequence[tuple[int, str]],
    title: str,
    y_format: Formatter = compact,
    width: int = 1000,
    height: int = 260,
    max_points: int = 1200,
    y_floor: float | None = None,
    y_ceiling: float | None = None,
) -> Markup:
    """Lines over positions 0..n-1 with labelled x ticks (e.g. session starts) and a nice y axis."""
    if n == 0 or not lines:
        return _empty(width, height, title, "No data")
    for line in lines:
        if len(line.values) != n:
            raise ValueError(f"chart {title!r}: line {line.label!r} has {len(line.values)} values, not {n}")
        if not np.all(np.isfinite(line.values)):
            raise ValueError(f"chart {title!r}: line {line.label!r} has values that are not finite")
    lo = min(float(np.min(line.values)) for line in lines)
    hi = max(float(np.max(line.values)) for line in lines)
    if any(line.fill for line in lines):
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if y_floor is not None:
        lo = min(lo, y_floor)
    if y_ceiling is not None:
        hi = max(hi, y_ceiling)
    ticks = nice_ticks(lo, hi)
    y0, y1 = ticks[0], ticks[-1]
    pw, ph = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM

    def sx(i: float) -> float:
        return _LEFT + (i / max(n - 1, 1)) * pw

    def sy(v: float) -> float:
        return _TOP + (1.0 - (v - y0) / (y1 - y0)) * ph

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        _text(_LEFT, 18, title, anchor="start", size=13, weight="600"),
    ]
    for t in ticks:
        y = sy(t)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{width - _RIGHT}" y2="{y:.1f}" stroke="{_GRID}"/>')
        parts.append(_text(_LEFT - 6, y + 4, y_format(t), anchor="end", size=10))
    if y0 < 0 < y1:
        yz = sy(0.0)
        parts.append(
            f'<line x1="{_LEFT}" y1="{yz:.1f}" x2="{width - _RIGHT}" y2="{yz:.1f}" stroke="{_AXIS}"/>'
        )
    for i, label in x_ticks:
        x = sx(i)
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_TOP + ph}" stroke="{_GRID}"/>')
        parts.append(_text(x, height - 12, label, size=10))
    parts.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{pw}" height="{ph}" fill="none" stroke="{_AXIS}" '
        f'stroke-width="0.8"/>'
    )
    legend_x = width - _RIGHT
    # One line needs no legend: the title names it.
    for line in reversed(lines if len(lines) > 1 else []):
        parts.append(_text(legend_x, 18, line.label, anchor="end", size=11))
        legend_x -= 7 * len(line.label) + 8
        parts.append(
            f'<rect x="{legend_x:.1f}" y="10" width="12" height="4" fill="{line.color}"/>'
            if not line.dashed
            else f'<line x1="{legend_x:.1f}" y1="12" x2="{legend_x + 12:.1f}" y2="12" stroke="{line.color}" '
            f'stroke-dasharray="4 3" stroke-width="2"/>'
        )
        legend_x -= 14
    for line in lines:
        idx, vals = decimate(line.values, max_points)
        pts = " ".join(f"{sx(float(i)):.1f},{sy(float(v)):.1f}" for i, v in zip(idx, vals, strict=True))
        if line.fill:
            base = sy(min(max(0.0, y0), y1))
            first, last = sx(float(idx[0])), sx(float(idx[-1]))
            parts.append(
                f'<polygon points="{first:.1f},{base:.1f} {pts} {last:.1f},{base:.1f}" '
                f'fill="{line.color}" fill-opacity="0.18" stroke="none"/>'
            )
        dash = ' stroke-dasharray="5 4"' if line.dashed else ""
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{line.color}" stroke-width="1.5"'
            f' stroke-linejoin="round"{dash}/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_format: Formatter,
    width: int = 480,
    bar_height: int = 22,
    fixed_max: float | None = None,
    color: str | None = None,
) -> Markup:
    """Horizontal bars, one per label; signed values grow left (red) or right (green) from zero."""
    if len(labels) != len(values):
        raise ValueError(f"chart {title!r}: {len(labels)} labels for {len(values)} values")
    height = _TOP + max(len(labels), 1) * (bar_height + 6) + 10
    if not labels:
        return _empty(width, 80, title, "No closed trades")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"chart {title!r}: values must be finite")
    label_w = min(190, 8 + 7 * max(len(s) for s in labels))
    value_w = 80
    lo = min(0.0, *values)
    hi = max(0.0, *values) if fixed_max is None else fixed_max
    span = (hi - lo) or 1.0
    pw = width - label_w - value_w - 10

    def sx(v: float) -> float:
        return label_w + (v - lo) / span * pw

    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        _text(4, 18, title, anchor="start", size=13, weight="600"),
    ]
    zero = sx(0.0)
    for k, (label, v) in enumerate(zip(labels, values, strict=True)):
        y = _TOP + k * (bar_height + 6)
        x_a, x_b = sorted((zero, sx(v)))
        fill = color or (POSITIVE if v >= 0 else NEGATIVE)
        shown = label if len(label) <= 26 else label[:25] + "…"
        parts.append(_text(label_w - 6, y + bar_height * 0.7, shown, anchor="end", size=11))
        parts.append(
            f'<rect x="{x_a:.1f}" y="{y}" width="{max(x_b - x_a, 1.0):.1f}" height="{bar_height}" '
            f'fill="{fill}" rx="2"><title>{escape(label)}: {escape(value_format(v))}</title></rect>'
        )
        parts.append(
            _text(max(x_b, zero) + 6, y + bar_height * 0.7, value_format(v), anchor="start", size=11)
        )
    parts.append(
        f'<line x1="{zero:.1f}" y1="{_TOP - 4}" x2="{zero:.1f}" y2="{height - 8}" stroke="{_AXIS}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
