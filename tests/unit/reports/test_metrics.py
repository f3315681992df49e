from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from optionpilot.reports.config import ReportConfig
from optionpilot.reports.metrics import (
    account_metrics,
    cagr,
    daily_returns,
    drawdown_series,
    in_market,
    max_drawdown,
    profit_factor,
    session_closes,
    sharpe,
    sortino,
    stats_by_strategy,
    total_return,
    trade_stats,
    win_rate,
)
from optionpilot.reports.model import AccountReport, EquityRow, TradeRow

NY = ZoneInfo("America/New_York")
A = np.array
RETURNS = A([0.01, -0.005, 0.02, 0.0])


def test_session_closes_takes_last_mark_of_each_new_york_day() -> None:
    ts = [
        datetime(2024, 3, 4, 14, 31, tzinfo=UTC),
        datetime(2024, 3, 4, 20, 59, tzinfo=UTC),
        datetime(2024, 3, 5, 0, 30, tzinfo=UTC),  # 19:30 on the 4th in New York
        datetime(2024, 3, 5, 14, 31, tzinfo=UTC),
    ]
    days, closes = session_closes(ts, A([1.0, 2.0, 3.0, 4.0]), NY)
    assert [d.isoformat() for d in days] == ["2024-03-04", "2024-03-05"]
    assert closes.tolist() == [3.0, 4.0]


def test_session_closes_empty() -> None:
    days, closes = session_closes([], A([], dtype=np.float64), NY)
    assert days == [] and closes.size == 0


def test_daily_returns_start_from_starting_equity() -> None:
    assert daily_returns(100.0, A([110.0, 99.0])) == pytest.approx([0.1, -0.1])
    assert daily_returns(100.0, A([], dtype=np.float64)).size == 0


def test_total_return_and_cagr() -> None:
    assert total_return(100.0, 121.0) == pytest.approx(0.21)
    # 21% over two years of sessions is 10% a year.
    assert cagr(0.21, 504, 252, 63) == pytest.approx(0.10)
    assert cagr(0.21, 20, 252, 63) is None
    assert cagr(-1.0, 504, 252, 63) is None


def test_sharpe_hand_worked() -> None:
    # mean 0.00625, sample sd 0.0110868 -> 0.563734 per day, x sqrt(252)
    assert sharpe(RETURNS, 0.0, 252) == pytest.approx(8.9489, rel=1e-4)


def test_sharpe_subtracts_daily_risk_free() -> None:
    sd = float(np.std(RETURNS, ddof=1))
    expected = (0.00625 - 0.0252 / 252) / sd * math.sqrt(252)
    assert sharpe(RETURNS, 0.0252, 252) == pytest.approx(expected)


def test_sortino_hand_worked() -> None:
    # downside deviation sqrt((0.005^2)/4) = 0.0025 -> 2.5 per day, x sqrt(252)
    assert sortino(RETURNS, 0.0, 252) == pytest.approx(2.5 * math.sqrt(252))


def test_ratios_not_meaningful_are_none_never_nan() -> None:
    assert sharpe(A([0.01]), 0.0, 252) is None
    assert sharpe(A([0.0, 0.0, 0.0]), 0.0, 252) is None
    assert sortino(A([0.0, 0.0]), 0.0, 252) is None
    assert sortino(A([0.01, 0.02]), 0.0, 252) == math.inf


def test_drawdown_series() -> None:
    amount, frac = drawdown_series(A([110.0, 120.0, 90.0, 100.0, 130.0, 117.0]), 100.0)
    assert amount.tolist() == pytest.approx([0, 0, -30, -20, 0, -13])
    assert frac.tolist() == pytest.approx([0, 0, -0.25, -20 / 120, 0, -0.1])


def test_max_drawdown_peak_trough_recovery(make_rows: Callable[..., tuple[EquityRow, ...]]) -> None:
    rows = make_rows([110, 120, 90, 100, 130, 117])
    dd = max_drawdown(rows, Decimal(100))
    assert dd.amount == Decimal("30.00")
    assert dd.fraction == pytest.approx(0.25)
    assert dd.peak_at == rows[1].ts
    assert dd.trough_at == rows[2].ts
    assert dd.recovered_at == rows[4].ts


def test_max_drawdown_from_the_starting_cash(make_rows: Callable[..., tuple[EquityRow, ...]]) -> None:
    rows = make_rows([95, 97])
    dd = max_drawdown(rows, Decimal(100))
    assert dd.amount == Decimal("5.00")
    assert dd.fraction == pytest.approx(0.05)
    assert dd.peak_at is None  # the start
    assert dd.recovered_at is None


def test_max_drawdown_none_when_only_rising_or_empty(make_rows: Callable[..., tuple[EquityRow, ...]]) -> None:
    assert max_drawdown(make_rows([100, 101]), Decimal(100)).fraction == 0.0
    assert max_drawdown((), Decimal(100)).amount == Decimal(0)


def test_profit_factor_and_win_rate() -> None:
    pnls = A([100.0, -50.0, 30.0, -20.0])
    assert profit_factor(pnls) == pytest.approx(130 / 70)
    assert win_rate(pnls) == 0.5
    assert profit_factor(A([10.0, 5.0])) == math.inf
    assert profit_factor(A([-10.0])) == 0.0
    assert profit_factor(A([], dtype=np.float64)) is None
    assert profit_factor(A([0.0])) is None
    assert win_rate(A([], dtype=np.float64)) is None
    assert win_rate(A([0.0, 1.0])) == 0.5  # break-even is not a win


def test_trade_stats_hand_worked(make_trade: Callable[..., TradeRow]) -> None:
    trades = [make_trade(p) for p in ("100", "-50", "30", "-20")]
    s = trade_stats(trades)
    assert (s.trades, s.wins, s.losses) == (4, 2, 2)
    assert s.net_pnl == Decimal(60)
    assert s.avg_win == Decimal("65.00")
    assert s.avg_loss == Decimal("-35.00")
    assert s.expectancy == Decimal("15.00")
    assert s.gross_profit == Decimal(130) and s.gross_loss == Decimal(-70)
    assert s.fees == Decimal("5.20")


def test_trade_stats_ignore_open_trades(make_trade: Callable[..., TradeRow]) -> None:
    closed = make_trade("10")
    still_open = TradeRow(
        **{**{f: getattr(closed, f) for f in closed.__slots__}, "closed_at": None, "pnl": Decimal(-999)}
    )
    s = trade_stats([closed, still_open])
    assert s.trades == 1 and s.net_pnl == Decimal(10) and s.profit_factor == math.inf


def test_trade_stats_no_trades() -> None:
    s = trade_stats([])
    assert s.trades == 0 and s.win_rate is None and s.avg_win is None and s.expectancy is None
    assert s.profit_factor is None


def test_stats_by_strategy(make_trade: Callable[..., TradeRow]) -> None:
    trades = [
        make_trade("10", strategy="a"),
        make_trade("-4", strategy="a"),
        make_trade("-3", strategy="b"),
        make_trade("20", strategy="c"),
    ]
    by = {s.label: s for s in stats_by_strategy(trades)}
    assert by["a"].net_pnl == Decimal(6) and by["a"].win_rate == 0.5
    assert by["b"].win_rate == 0.0 and by["b"].profit_factor == 0.0
    assert [s.label for s in stats_by_strategy(trades)] == ["c", "a", "b"]


def test_in_market(make_trade: Callable[..., TradeRow], t0: datetime) -> None:
    ts = [t0 + timedelta(minutes=i) for i in range(5)]
    t = make_trade("1", opened=ts[1], closed=ts[3])
    assert in_market(ts, [t]).tolist() == [False, True, True, False, False]
    late = TradeRow(**{**{f: getattr(t, f) for f in t.__slots__}, "opened_at": ts[4], "closed_at": None})
    assert in_market(ts, [t, late]).tolist() == [False, True, True, False, True]
    assert in_market(ts, []).tolist() == [False] * 5


def test_account_metrics_worked(
    t0: datetime, make_account: Callable[..., AccountReport], make_trade: Callable[..., TradeRow]
) -> None:
    acc = make_account([110, 99, 121], [make_trade("10", opened=t0, closed=t0 + timedelta(days=1))])
    m = account_metrics(acc)
    assert m.final_equity == Decimal(121) and m.net_pnl == Decimal(21)
    assert m.total_return == pytest.approx(0.21)
    assert m.sessions == 3
    rets = np.array([0.1, -0.1, 121 / 99 - 1])
    assert m.sharpe == pytest.approx(rets.mean() / rets.std(ddof=1) * math.sqrt(252))
    assert m.max_drawdown.fraction == pytest.approx(0.1)
    assert m.cagr is None  # 3 sessions: too short to annualise
    assert m.time_in_market == pytest.approx(1 / 3)
    assert m.avg_exposure == 0.0
    assert m.trades.trades == 1


def test_account_metrics_exposure_over_equity(make_account: Callable[..., AccountReport]) -> None:
    acc = make_account([100, 200])
    rows = tuple(
        r.__class__(**{**{f: getattr(r, f) for f in r.__slots__}, "exposure": Decimal(50)})
        for r in acc.equity
    )
    acc = AccountReport(**{**{f: getattr(acc, f) for f in acc.__slots__}, "equity": rows})
    assert account_metrics(acc).avg_exposure == pytest.approx((0.5 + 0.25) / 2)


@pytest.mark.parametrize(
    "equity",
    [(), (100,), (100, 100, 100), (100, 100, 100, 100, 100)],
    ids=["no marks", "one day", "flat three days", "flat five"],
)
def test_edge_cases_leave_no_nan(make_account: Callable[..., AccountReport], equity: tuple[int, ...]) -> None:
    m = account_metrics(make_account(equity))
    assert m.total_return == 0.0
    assert m.sharpe is None and m.sortino is None
    assert m.max_drawdown.fraction == 0.0
    assert m.trades.trades == 0 and m.trades.win_rate is None
    for value in (
        m.total_return,
        m.cagr,
        m.volatility,
        m.time_in_market,
        m.avg_exposure,
        m.trades.profit_factor,
    ):
        assert value is None or not math.isnan(value)


def test_intraday_marks_are_sampled_per_session(
    make_account: Callable[..., AccountReport], make_rows: Callable[..., tuple[EquityRow, ...]]
) -> None:
    acc = make_account([100, 90, 110, 110, 80, 121], step=timedelta(minutes=1))
    assert account_metrics(acc).sessions == 1  # six minutes of one New York day
    rows = make_rows([100, 90, 110, 110, 80, 121], step=timedelta(hours=3))  # 09:31 .. 00:31 next day
    acc = AccountReport(**{**{f: getattr(acc, f) for f in acc.__slots__}, "equity": rows})
    m = account_metrics(acc)
    assert m.sessions == 2
    assert m.max_drawdown.fraction == pytest.approx(30 / 110)


def test_risk_free_rate_is_configurable(make_account: Callable[..., AccountReport]) -> None:
    acc = make_account([101, 100, 103, 102])
    base = account_metrics(acc).sharpe
    with_rf = account_metrics(acc, ReportConfig(risk_free_rate=0.05)).sharpe
    assert base is not None and with_rf is not None and with_rf < base


def test_report_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        ReportConfig.model_validate({"risk_free": 0.01})
