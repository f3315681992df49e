"""Server-side tables (sort, filter, pages) and the chart figures (range breaks, payoffs)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from optionpilot.web import charts
from optionpilot.web.tables import Column, build

COLS = (Column("name", "name"), Column("pnl", "P&L", True))
ROWS = [{"name": "b", "pnl": Decimal("2")}, {"name": "a", "pnl": None}, {"name": "c", "pnl": Decimal("-1")}]


def test_sort_keeps_missing_values_last_both_ways_and_ignores_unknown_keys() -> None:
    up = build(COLS, ROWS, {"sort": "pnl", "desc": "0"}, "name")
    assert [r["name"] for r in up.rows] == ["c", "b", "a"]
    down = build(COLS, ROWS, {"sort": "pnl", "desc": "1"}, "name")
    assert [r["name"] for r in down.rows] == ["b", "c", "a"]
    assert build(COLS, ROWS, {"sort": "nope; drop"}, "name").sort == "name"
    assert down.sort_link("pnl") == "?sort=pnl&desc=0" and down.arrow("pnl") == " ▼"


def test_filter_and_pages() -> None:
    many = [{"name": f"n{i:03d}", "pnl": Decimal(i)} for i in range(250)]
    table = build(COLS, many, {"q": "N1", "page": "2", "desc": "0"}, "name", page_size=40)
    assert table.total == 100 and table.pages == 3 and table.page == 2
    assert [r["name"] for r in table.rows][:2] == ["n140", "n141"]
    assert "page=3" in table.page_link(3) and "q=N1" in table.page_link(3)
    clamped = build(COLS, many, {"page": "999"}, "name", page_size=100)
    assert clamped.page == 3 and len(clamped.rows) == 50
    assert build(COLS, many, {"page": "-1"}, "name", page_size=100).page == 1


def test_nights_between_sessions_become_range_breaks() -> None:
    t0 = datetime(2026, 10, 29, 14, 0, tzinfo=UTC)
    ts = [t0 + timedelta(minutes=15 * i) for i in range(4)] + [t0 + timedelta(days=1)]
    breaks = charts._closed_hours(ts)
    assert len(breaks) == 1
    start, end = breaks[0]["bounds"]
    assert ts[3].isoformat() < start < end < ts[4].isoformat()


def test_a_calendar_payoff_peaks_at_its_strike() -> None:
    legs = [
        {"option_right": "P", "strike": Decimal("100"), "quantity": -1, "avg_price": Decimal("2"),
         "multiplier": 100, "expiry": date(2026, 11, 13)},
        {"option_right": "P", "strike": Decimal("100"), "quantity": 1, "avg_price": Decimal("3.5"),
         "multiplier": 100, "expiry": date(2026, 11, 27)},
    ]  # fmt: skip
    fig = charts.position_payoff(legs, 0.3, "calendar")
    assert fig is not None
    xs, ys = fig["data"][0]["x"], fig["data"][0]["y"]
    assert abs(xs[ys.index(max(ys))] - 100) < 3
    assert max(ys) > 0 > min(ys)  # a debit spread loses far from the strike
    assert charts.position_payoff([{**legs[0], "quantity": 0}], 0.3, "flat") is None


def test_a_short_put_earns_at_most_its_credit() -> None:
    legs = [{"kind": "option", "right": "P", "strike": "100", "side": "sell", "ratio": 1, "multiplier": 100}]
    fig = charts.candidate_payoff(legs, -150.0, "short put")
    assert fig is not None
    ys = fig["data"][0]["y"]
    assert max(ys) == 150.0 and min(ys) < -1000
