"""The report's sections from the database's views: the daily summary and the option legs open at the end."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from optionpilot.core.errors import DataError
from optionpilot.reports.html import render_report
from optionpilot.reports.model import AccountReport, ActiveRow, DayRow, ReportData

DAY = DayRow(date(2024, 3, 4), 3, 2, 1, 1, Decimal("-17.35"), Decimal("3.90"), 6, 412)
LEG = ActiveRow(
    "pos-open-1",
    "SPY",
    "bull_put_spread",
    "SPY-20240315-P495",
    date(2024, 3, 15),
    11,
    -1,
    Decimal("2.10"),
    entry_delta=18.437,
    entry_theta=4.126,
    entry_vega=-11.5,
    entry_iv=0.1834,
)


def _page(
    make_account: Callable[..., AccountReport],
    make_report: Callable[..., ReportData],
    **views: object,
) -> str:
    account = dataclasses.replace(make_account([100, 101, 99]), **views)
    return render_report(make_report(account))


def test_the_daily_summary_and_open_legs_are_on_the_page(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData]
) -> None:
    page = _page(make_account, make_report, days=(DAY,), active=(LEG,))
    assert "Daily summary" in page and "2024-03-04" in page
    assert "-$17.35" in page and "$3.90" in page and ">412<" in page
    assert "Option legs open at the end (1)" in page and "SPY-20240315-P495" in page
    assert "18.44" in page and "+$4.13" in page and "-$11.50" in page and "18.3%" in page


def test_a_leg_without_entry_greeks_shows_dashes_and_empty_views_say_so(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData]
) -> None:
    bare = dataclasses.replace(LEG, entry_delta=None, entry_theta=None, entry_vega=None, entry_iv=None)
    page = _page(make_account, make_report, active=(bare,))
    assert page.count('<td class="num">—</td>') >= 4
    assert "No activity recorded." in page
    empty = _page(make_account, make_report)
    assert "No option leg was open at the end." in empty


def test_a_nan_entry_greek_fails_naming_the_leg(make_account: Callable[..., AccountReport]) -> None:
    account = make_account([100, 101])
    with pytest.raises(DataError, match=r"open leg 0 \(SPY-20240315-P495\) entry_iv"):
        dataclasses.replace(account, active=(dataclasses.replace(LEG, entry_iv=float("nan")),))
