"""Plotly figures as plain JSON-ready dicts, drawn in the browser by the plotly.js the plotly package ships.

Why Plotly: its pinned PyPI package carries plotly.js, so the page works offline with nothing fetched from
npm or a CDN and nothing vendored by hand; and one library draws every chart a trader needs here (time
series with markers, filled drawdowns, payoff curves) with zoom and hover. The figures are built as dicts
rather than `go.Figure` objects: the same JSON, without the validation pass that would cost each page
tens of milliseconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from optionpilot.pricing.payoff import Leg, payoff_at_expiry, payoff_before_expiry

Figure = dict[str, Any]
POSITIVE = "#1f9d55"
NEGATIVE = "#d64545"
LINE = "#2b6cb0"
_MAX_POINTS = 2000


def _layout(title: str, height: int = 300, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 14}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 40},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.2},
        **extra,
    }


def _thin(xs: Sequence[Any], ys: Sequence[float]) -> tuple[list[Any], list[float]]:
    """Every n-th point past `_MAX_POINTS`, the last one always kept: a browser needs no more."""
    if len(xs) <= _MAX_POINTS:
        return list(xs), list(ys)
    step = len(xs) // _MAX_POINTS + 1
    idx = list(range(0, len(xs), step))
    if idx[-1] != len(xs) - 1:
        idx.append(len(xs) - 1)
    return [xs[i] for i in idx], [ys[i] for i in idx]


def _closed_hours(ts: Sequence[datetime], gap_hours: float = 2.0) -> list[dict[str, Any]]:
    """Plotly range breaks over the gaps between sessions (nights, weekends), so a day follows the last."""
    breaks = []
    for a, b in itertools.pairwise(ts):
        if (b - a).total_seconds() > gap_hours * 3600:
            breaks.append(
                {"bounds": [(a + timedelta(minutes=1)).isoformat(), (b - timedelta(minutes=1)).isoformat()]}
            )
    return breaks


def equity_figure(
    name: str, ts: Sequence[datetime], equity: Sequence[float], drawdown_pct: Sequence[float]
) -> Figure:
    """Equity above, its drawdown from the running peak (in %) in a band below on the same time axis."""
    x, y = _thin([t.isoformat() for t in ts], equity)
    _, dd = _thin([t.isoformat() for t in ts], [d * 100.0 for d in drawdown_pct])
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "x": x, "y": y, "name": "equity", "line": {"color": LINE}},
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": dd,
                "name": "drawdown %",
                "yaxis": "y2",
                "fill": "tozeroy",
                "line": {"color": NEGATIVE, "width": 1},
            },
        ],
        "layout": _layout(
            f"{name}: equity and drawdown",
            340,
            xaxis={"rangebreaks": _closed_hours(ts), "anchor": "y2"},
            yaxis={"title": {"text": "equity"}, "domain": [0.32, 1.0]},
            yaxis2={"title": {"text": "drawdown %"}, "domain": [0.0, 0.24], "rangemode": "tozero"},
        ),
    }


def compare_figure(curves: Sequence[tuple[str, Sequence[float]]]) -> Figure:
    """Runs side by side on one axis: equity as a % of the start, by step (runs cover different days)."""
    data = []
    for label, values in curves:
        if not values or values[0] == 0:
            continue
        base = values[0]
        ys = [(v / base - 1.0) * 100.0 for v in values]
        xs, ys = _thin(list(range(len(ys))), ys)
        data.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": label})
    return {"data": data, "layout": _layout("return % by step", xaxis={"title": {"text": "step"}})}


def price_figure(
    symbol: str, prices: Sequence[tuple[datetime, float]], marks: Sequence[dict[str, Any]]
) -> Figure:
    """The underlying's price with entries (green, up) and exits (red, down) at the price of that moment."""
    xs = [t for t, _ in prices]
    ys = [p for _, p in prices]
    px, py = _thin([t.isoformat() for t in xs], ys)
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": px, "y": py, "name": symbol, "line": {"color": LINE}}
    ]
    stamps = np.array([t.timestamp() for t in xs], dtype=np.float64)
    for kind, color, symbol_name, label in (
        ("opened", POSITIVE, "triangle-up", "entry"),
        ("closed", NEGATIVE, "triangle-down", "exit"),
    ):
        chosen = [m for m in marks if m["kind"] == kind or (kind == "closed" and m["kind"] == "reduced")]
        if not chosen or not len(stamps):
            continue
        at = np.searchsorted(stamps, [m["ts"].timestamp() for m in chosen], side="right") - 1
        at = np.clip(at, 0, len(stamps) - 1)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": label,
                "x": [m["ts"].isoformat() for m in chosen],
                "y": [ys[i] for i in at],
                "marker": {"color": color, "size": 11, "symbol": symbol_name},
                "text": [
                    f"{m['strategy_type']} {m['position_id']}: {str(m['reason'])[:120]}" for m in chosen
                ],
                "hoverinfo": "text+x",
            }
        )
    layout = _layout(f"{symbol}: price, entries and exits", 320, xaxis={"rangebreaks": _closed_hours(xs)})
    return {"data": data, "layout": layout}


def position_payoff(legs: Sequence[dict[str, Any]], iv: float | None, title: str) -> Figure | None:
    """P&L at the nearest expiry of a held position; later legs valued by Black-Scholes at the entry IV."""
    held = [leg for leg in legs if leg["quantity"] != 0 and leg["option_right"] in ("C", "P")]
    if not held:
        return None
    expiries: list[date] = [leg["expiry"] for leg in held if leg["expiry"] is not None]
    first = min(expiries) if expiries else None
    vol = iv if iv is not None and iv > 0 else 0.3
    model = [
        Leg(
            str(leg["option_right"]),
            float(leg["strike"]),
            float(leg["quantity"]),
            float(leg["avg_price"]),
            float(leg["multiplier"]),
            ((leg["expiry"] - first).days / 365.0) if first and leg["expiry"] else 0.0,
            vol,
        )
        for leg in held
    ]
    strikes = [leg.strike for leg in model]
    spot = np.linspace(min(strikes) * 0.8, max(strikes) * 1.2, 121)
    later = any(leg.expiry_years > 0 for leg in model)
    pnl = payoff_before_expiry(model, spot, 0.0, 0.0) if later else payoff_at_expiry(model, spot)
    return _payoff(spot, pnl, title)


def candidate_payoff(legs: Sequence[dict[str, Any]], net_premium: float, title: str) -> Figure | None:
    """One unit of a scanned strategy at expiry: intrinsic values less the net premium it costs."""
    model = []
    for leg in legs:
        if leg.get("kind") != "option" or leg.get("right") not in ("C", "P"):
            continue
        sign = 1.0 if leg.get("side") == "buy" else -1.0
        model.append(
            Leg(
                str(leg["right"]),
                float(leg["strike"]),
                sign * float(leg.get("ratio", 1)),
                0.0,
                float(leg.get("multiplier", 100)),
            )
        )
    if not model:
        return None
    strikes = [leg.strike for leg in model]
    spot = np.linspace(min(strikes) * 0.85, max(strikes) * 1.15, 101)
    pnl = payoff_at_expiry(model, spot) - net_premium
    return _payoff(spot, pnl, title)


def _payoff(
    spot: np.ndarray[Any, np.dtype[np.float64]], pnl: np.ndarray[Any, np.dtype[np.float64]], title: str
) -> Figure:
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": [round(float(s), 2) for s in spot],
                "y": [round(float(p), 2) for p in pnl],
                "name": "P&L",
                "fill": "tozeroy",
                "line": {"color": LINE},
            }
        ],
        "layout": _layout(
            title,
            220,
            hovermode="closest",
            showlegend=False,
            xaxis={"title": {"text": "underlying"}},
            yaxis={"title": {"text": "P&L"}},
        ),
    }
