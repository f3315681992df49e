"""Builders of report input for the report tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.core.calendars import Market
from optionpilot.reports.model import AccountReport, EquityRow, RejectionCount, ReportData, TradeRow

T0 = datetime(2024, 3, 4, 14, 31, tzinfo=UTC)  # 09:31 New York, a Monday


def equity_rows(
    values: Sequence[float | str], *, start: datetime = T0, step: timedelta = timedelta(days=1)
) -> tuple[EquityRow, ...]:
    return tuple(
        EquityRow(
            ts=start + i * step,
            cash=Decimal(str(v)),
            equity=Decimal(str(v)),
            delta=float(i),
            exposure=Decimal(0),
        )
        for i, v in enumerate(values)
    )


def trade(
    pnl: str,
    *,
    strategy: str = "long_call/day_trade",
    opened: datetime = T0,
    closed: datetime | None = None,
    entry_reason: str = "bullish news",
    exit_reason: str = "take profit",
    position_id: str = "pos-1",
    fees: str = "1.30",
) -> TradeRow:
    return TradeRow(
        position_id=position_id,
        underlying="SPY",
        strategy_type=strategy,
        opened_at=opened,
        closed_at=closed if closed is not None else opened + timedelta(hours=1),
        quantity=1,
        entry_price=Decimal("2.00"),
        exit_price=Decimal("2.50"),
        pnl=Decimal(pnl),
        fees=Decimal(fees),
        return_pct=float(Decimal(pnl)) / 2.0,
        entry_reason=entry_reason,
        exit_reason=exit_reason,
        exit_kind="take_profit",
    )


def account(
    equity: Sequence[float | str] = (100, 101, 102),
    trades: Sequence[TradeRow] = (),
    *,
    account_id: str = "large",
    starting_cash: str = "100",
    rejections: Sequence[RejectionCount] = (),
    step: timedelta = timedelta(days=1),
) -> AccountReport:
    return AccountReport(
        account_id=account_id,
        name=account_id.title(),
        currency="USD",
        market=Market.US,
        starting_cash=Decimal(starting_cash),
        equity=equity_rows(equity, step=step),
        trades=tuple(trades),
        rejections=tuple(rejections),
    )


def report(*accounts: AccountReport, run_id: str = "run-1") -> ReportData:
    return ReportData(
        title="OptionPilot backtest",
        run_id=run_id,
        mode="backtest",
        period_start=T0.date(),
        period_end=(T0 + timedelta(days=30)).date(),
        generated_at=T0 + timedelta(days=31),
        config_summary={"backtest.seed": "7", "alpaca.api_key": "****"},
        accounts=tuple(accounts),
    )


@pytest.fixture
def make_account() -> Callable[..., AccountReport]:
    return account


@pytest.fixture
def make_trade() -> Callable[..., TradeRow]:
    return trade


@pytest.fixture
def make_report() -> Callable[..., ReportData]:
    return report


@pytest.fixture
def make_rows() -> Callable[..., tuple[EquityRow, ...]]:
    return equity_rows


@pytest.fixture
def t0() -> datetime:
    return T0
