from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.core.errors import DataError
from optionpilot.reports.model import AccountReport, EquityRow, RejectionCount, ReportData, TradeRow


def _with(acc: AccountReport, **changes: object) -> AccountReport:
    return replace(acc, **changes)  # type: ignore[arg-type]


def test_valid_account_builds(make_account: Callable[..., AccountReport]) -> None:
    assert make_account().starting_cash == Decimal(100)


def test_naive_equity_time_is_named(make_account: Callable[..., AccountReport]) -> None:
    acc = make_account()
    rows = list(acc.equity)
    rows[1] = replace(rows[1], ts=datetime(2024, 3, 5, 10, 0))
    with pytest.raises(DataError, match=r"account large equity row 1 ts .* naive"):
        _with(acc, equity=tuple(rows))


def test_nan_greek_is_refused(make_account: Callable[..., AccountReport]) -> None:
    acc = make_account()
    rows = list(acc.equity)
    rows[2] = replace(rows[2], vega=float("nan"))
    with pytest.raises(DataError, match="equity row 2 vega"):
        _with(acc, equity=tuple(rows))


def test_nan_money_is_refused(make_account: Callable[..., AccountReport]) -> None:
    acc = make_account()
    rows = (replace(acc.equity[0], equity=Decimal("NaN")),)
    with pytest.raises(DataError, match="equity row 0 equity"):
        _with(acc, equity=rows)


def test_equity_out_of_order(
    make_account: Callable[..., AccountReport], make_rows: Callable[..., tuple[EquityRow, ...]]
) -> None:
    acc = make_account()
    with pytest.raises(DataError, match=r"equity row 1 .* earlier"):
        _with(acc, equity=tuple(reversed(make_rows([1, 2]))))


def test_trade_closed_before_opened(
    t0: datetime, make_account: Callable[..., AccountReport], make_trade: Callable[..., TradeRow]
) -> None:
    bad = make_trade("1", opened=t0, closed=t0 - timedelta(minutes=1), position_id="pos-9")
    with pytest.raises(DataError, match=r"trade 0 \(pos-9\) closed at .* before it opened"):
        make_account(trades=[bad])


def test_bad_starting_cash_and_counts(make_account: Callable[..., AccountReport]) -> None:
    with pytest.raises(DataError, match="starting_cash 0 must be positive"):
        make_account(starting_cash="0")
    with pytest.raises(DataError, match="rejection 0 count -1"):
        make_account(rejections=[RejectionCount("risk", "r", "why", -1)])


def test_report_period_and_duplicate_accounts(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData]
) -> None:
    good = make_report(make_account())
    with pytest.raises(DataError, match="period ends"):
        replace(good, period_end=good.period_start - timedelta(days=1))
    with pytest.raises(DataError, match="account large appears twice"):
        make_report(make_account(), make_account())
