"""Performance metrics: pure functions on float64 arrays and on the report model.

A metric that is not meaningful (too few days, no trades, zero volatility) is None, never NaN;
an unbounded ratio (profit factor or Sortino with nothing lost) is `math.inf`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from optionpilot.core.calendars import MARKETS
from optionpilot.core.money import ZERO, cents
from optionpilot.reports.config import ReportConfig
from optionpilot.reports.model import AccountReport, EquityRow, TradeRow

FloatArray = npt.NDArray[np.float64]

# Relative volatility below this is floating-point noise on a flat curve, not risk.
_FLAT = 1e-12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ---- equity-curve metrics ---------------------------------------------------------------------


def session_closes(
    ts: Sequence[datetime], equity: FloatArray, zone: ZoneInfo
) -> tuple[list[date], FloatArray]:
    """The last equity mark of each session (local date in the exchange's zone), in order."""
    if len(ts) != len(equity):
        raise ValueError(f"{len(ts)} timestamps for {len(equity)} equity values")
    if len(ts) == 0:
        return [], np.empty(0, dtype=np.float64)
    days = [t.astimezone(zone).date() for t in ts]
    ordinals = np.fromiter((d.toordinal() for d in days), dtype=np.int64, count=len(days))
    last = np.append(ordinals[1:] != ordinals[:-1], True)
    idx = np.flatnonzero(last)
    return [days[i] for i in idx], np.asarray(equity, dtype=np.float64)[idx]


def daily_returns(starting: float, closes: FloatArray) -> FloatArray:
    """Simple returns session to session, the first one measured from the starting equity."""
    if starting <= 0:
        raise ValueError(f"starting equity {starting} must be positive")
    levels = np.concatenate(([starting], np.asarray(closes, dtype=np.float64)))
    prev = levels[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(prev > 0, levels[1:] / prev - 1.0, 0.0)
    return out.astype(np.float64)


def total_return(starting: float, final: float) -> float:
    if starting <= 0:
        raise ValueError(f"starting equity {starting} must be positive")
    return final / starting - 1.0


def cagr(total: float, sessions: int, periods_per_year: int, min_sessions: int) -> float | None:
    """Compound annual growth; None when the run is too short for annualising to mean anything."""
    if sessions < max(min_sessions, 1) or total <= -1.0:
        return None
    return float((1.0 + total) ** (periods_per_year / sessions) - 1.0)


def annual_volatility(returns: FloatArray, periods_per_year: int) -> float | None:
    if len(returns) < 2:
        return None
    return float(np.std(returns, ddof=1) * math.sqrt(periods_per_year))


def sharpe(returns: FloatArray, risk_free_rate: float, periods_per_year: int) -> float | None:
    """Annualised Sharpe of per-session returns; None with fewer than two or with zero volatility."""
    if len(returns) < 2:
        return None
    excess = np.asarray(returns, dtype=np.float64) - risk_free_rate / periods_per_year
    sd = float(np.std(excess, ddof=1))
    if sd <= _FLAT:
        return None
    return float(np.mean(excess) / sd * math.sqrt(periods_per_year))


def sortino(returns: FloatArray, risk_free_rate: float, periods_per_year: int) -> float | None:
    """Annualised Sortino (downside deviation over all periods, target = risk-free).

    Infinite when nothing fell short of the target and the mean excess is positive.
    """
    if len(returns) < 2:
        return None
    excess = np.asarray(returns, dtype=np.float64) - risk_free_rate / periods_per_year
    downside = float(np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)))
    mean = float(np.mean(excess))
    if downside <= _FLAT:
        return math.inf if mean > _FLAT else None
    return float(mean / downside * math.sqrt(periods_per_year))


def drawdown_series(equity: FloatArray, starting: float) -> tuple[FloatArray, FloatArray]:
    """Drawdown at each mark from the running peak (the starting equity counts as the first peak).

    Returns (amount, fraction), both <= 0.
    """
    eq = np.asarray(equity, dtype=np.float64)
    peak = np.maximum.accumulate(np.concatenate(([starting], eq)))[1:]
    amount = eq - peak
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(peak > 0, amount / peak, 0.0)
    return amount.astype(np.float64), fraction.astype(np.float64)


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall from a peak, by percent; `peak_at` None means the peak was the start."""

    amount: Decimal  # positive: how much was lost from the peak
    fraction: float  # positive: 0.12 is 12% below the peak
    peak_at: datetime | None = None
    trough_at: datetime | None = None
    recovered_at: datetime | None = None


def max_drawdown(rows: Sequence[EquityRow], starting: Decimal) -> Drawdown:
    if not rows:
        return Drawdown(ZERO, 0.0)
    eq = np.fromiter((float(r.equity) for r in rows), dtype=np.float64, count=len(rows))
    _, fraction = drawdown_series(eq, float(starting))
    trough = int(np.argmin(fraction))
    if fraction[trough] >= 0.0:
        return Drawdown(ZERO, 0.0)
    # Find the peak and its value in Decimal so the amount is exact to the cent.
    peak_value = starting
    peak_at: datetime | None = None
    for i in range(trough + 1):
        if rows[i].equity >= peak_value:
            peak_value = rows[i].equity
            peak_at = rows[i].ts
    recovered_at = next((r.ts for r in rows[trough + 1 :] if r.equity >= peak_value), None)
    return Drawdown(
        amount=cents(peak_value - rows[trough].equity),
        fraction=float(-fraction[trough]),
        peak_at=peak_at,
        trough_at=rows[trough].ts,
        recovered_at=recovered_at,
    )


# ---- trade metrics ----------------------------------------------------------------------------


def profit_factor(pnls: FloatArray) -> float | None:
    """Gross profit over gross loss; inf with wins and no losses, None with neither."""
    p = np.asarray(pnls, dtype=np.float64)
    gains = float(p[p > 0].sum())
    losses = float(-p[p < 0].sum())
    if losses == 0.0:
        return math.inf if gains > 0 else None
    return gains / losses


def win_rate(pnls: FloatArray) -> float | None:
    """Share of trades that made money; a break-even trade is not a win."""
    if len(pnls) == 0:
        return None
    return float(np.count_nonzero(np.asarray(pnls) > 0) / len(pnls))


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Figures over closed trades; averages are None when there is nothing to average."""

    label: str
    trades: int
    wins: int
    losses: int
    win_rate: float | None
    net_pnl: Decimal
    gross_profit: Decimal
    gross_loss: Decimal  # negative or zero
    fees: Decimal
    avg_win: Decimal | None
    avg_loss: Decimal | None  # negative
    expectancy: Decimal | None  # mean P&L per trade
    profit_factor: float | None


def _mean(values: list[Decimal]) -> Decimal | None:
    return cents(sum(values, start=ZERO) / len(values)) if values else None


def trade_stats(trades: Sequence[TradeRow], label: str = "all") -> TradeStats:
    """Stats of the closed trades among `trades` (open ones have no final P&L yet)."""
    closed = [t for t in trades if t.is_closed]
    pnls = [t.pnl for t in closed]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    as_floats = np.fromiter((float(p) for p in pnls), dtype=np.float64, count=len(pnls))
    return TradeStats(
        label=label,
        trades=len(closed),
        wins=len(wins),
        losses=len(losses),
        win_rate=win_rate(as_floats),
        net_pnl=sum(pnls, start=ZERO),
        gross_profit=sum(wins, start=ZERO),
        gross_loss=sum(losses, start=ZERO),
        fees=sum((t.fees for t in closed), start=ZERO),
        avg_win=_mean(wins),
        avg_loss=_mean(losses),
        expectancy=_mean(pnls),
        profit_factor=profit_factor(as_floats),
    )


def stats_by_strategy(trades: Sequence[TradeRow]) -> list[TradeStats]:
    """Trade stats per strategy type, best net P&L first."""
    types = sorted({t.strategy_type for t in trades if t.is_closed})
    stats = [trade_stats([t for t in trades if t.strategy_type == s], s) for s in types]
    return sorted(stats, key=lambda s: (-s.net_pnl, s.label))


def _micros(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


def in_market(ts: Sequence[datetime], trades: Sequence[TradeRow]) -> npt.NDArray[np.bool_]:
    """For each mark, whether any trade was open then (opened at or before it, not yet closed)."""
    n = len(ts)
    t = np.fromiter((_micros(x) for x in ts), dtype=np.int64, count=n)
    diff = np.zeros(n + 1, dtype=np.int64)
    for trade in trades:
        lo = int(np.searchsorted(t, _micros(trade.opened_at), side="left"))
        hi = n if trade.closed_at is None else int(np.searchsorted(t, _micros(trade.closed_at), side="left"))
        if hi > lo:
            diff[lo] += 1
            diff[hi] -= 1
    return np.cumsum(diff[:n]) > 0


# ---- one account ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountMetrics:
    starting_cash: Decimal
    final_equity: Decimal
    net_pnl: Decimal  # final equity less starting cash: realized and unrealized, after fees
    total_return: float
    cagr: float | None
    sessions: int
    volatility: float | None  # annualised, of per-session returns
    sharpe: float | None
    sortino: float | None
    max_drawdown: Drawdown
    trades: TradeStats
    by_strategy: tuple[TradeStats, ...]
    open_trades: int
    time_in_market: float | None  # fraction of equity marks with a position open
    avg_exposure: float | None  # mean gross exposure over equity
    total_fees: Decimal  # of every trade, open or closed
    rejections: int


def account_metrics(account: AccountReport, config: ReportConfig | None = None) -> AccountMetrics:
    cfg = config or ReportConfig()
    rows = account.equity
    start = account.starting_cash
    final = rows[-1].equity if rows else start
    ts = [r.ts for r in rows]
    eq = np.fromiter((float(r.equity) for r in rows), dtype=np.float64, count=len(rows))
    _, closes = session_closes(ts, eq, ZoneInfo(MARKETS[account.market].timezone))
    returns = daily_returns(float(start), closes)
    total = total_return(float(start), float(final))

    time_in_market: float | None = None
    avg_exposure: float | None = None
    if rows:
        time_in_market = float(np.mean(in_market(ts, account.trades)))
        gross = np.fromiter((float(r.exposure) for r in rows), dtype=np.float64, count=len(rows))
        positive = eq > 0
        if positive.any():
            avg_exposure = float(np.mean(gross[positive] / eq[positive]))

    return AccountMetrics(
        starting_cash=start,
        final_equity=final,
        net_pnl=final - start,
        total_return=total,
        cagr=cagr(total, len(closes), cfg.periods_per_year, cfg.cagr_min_sessions),
        sessions=len(closes),
        volatility=annual_volatility(returns, cfg.periods_per_year),
        sharpe=sharpe(returns, cfg.risk_free_rate, cfg.periods_per_year),
        sortino=sortino(returns, cfg.risk_free_rate, cfg.periods_per_year),
        max_drawdown=max_drawdown(rows, start),
        trades=trade_stats(account.trades),
        by_strategy=tuple(stats_by_strategy(account.trades)),
        open_trades=sum(1 for t in account.trades if not t.is_closed),
        time_in_market=time_in_market,
        avg_exposure=avg_exposure,
        total_fees=sum((t.fees for t in account.trades), start=ZERO),
        rejections=sum(r.count for r in account.rejections),
    )
