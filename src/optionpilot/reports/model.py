"""The report's whole input: plain frozen records, filled from the database's read models.

Constructing them validates them, so a bad value fails here with its account and row named,
never as a NaN or a crash while the page is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from optionpilot.core.calendars import Market
from optionpilot.core.errors import DataError

_SOURCE = "report data"


def _aware(t: datetime, what: str) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise DataError(f"{what} {t.isoformat()} is a naive datetime; give an aware UTC time", source=_SOURCE)


def _finite_float(x: float, what: str) -> None:
    if not math.isfinite(x):
        raise DataError(f"{what} is {x!r}; expected a finite number", source=_SOURCE)


def _finite_decimal(x: Decimal, what: str) -> None:
    if not isinstance(x, Decimal) or not x.is_finite():
        raise DataError(f"{what} is {x!r}; expected a finite Decimal", source=_SOURCE)


@dataclass(frozen=True, slots=True)
class EquityRow:
    """One mark of an account: cash, equity and the open positions' Greeks and gross exposure.

    Greeks follow `ports.recorder.EquityPoint`: delta in share equivalents, gamma per unit move,
    vega in currency per vol point, theta in currency per calendar day.
    """

    ts: datetime
    cash: Decimal
    equity: Decimal
    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0
    exposure: Decimal = Decimal(0)  # gross (absolute) market value of open positions

    def check(self, where: str) -> None:
        _aware(self.ts, f"{where} ts")
        for name in ("cash", "equity", "exposure"):
            _finite_decimal(getattr(self, name), f"{where} {name}")
        for name in ("delta", "gamma", "vega", "theta"):
            _finite_float(getattr(self, name), f"{where} {name}")
        if self.exposure < 0:
            raise DataError(
                f"{where} exposure {self.exposure} is negative; give the gross value", source=_SOURCE
            )


@dataclass(frozen=True, slots=True)
class TradeRow:
    """One position from entry to exit; `closed_at` None means still open at the end of the run."""

    position_id: str
    underlying: str
    strategy_type: str
    opened_at: datetime
    closed_at: datetime | None
    quantity: int  # contracts (or combos) at entry
    entry_price: Decimal  # net per-share premium at entry
    exit_price: Decimal | None
    pnl: Decimal  # realized, after fees
    fees: Decimal
    return_pct: float  # pnl over the entry cost, in percent (12.5 means +12.5%)
    entry_reason: str
    exit_reason: str = ""
    exit_kind: str = ""  # e.g. take_profit, stop_loss, expired, end_of_run

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def check(self, where: str) -> None:
        _aware(self.opened_at, f"{where} opened_at")
        if self.closed_at is not None:
            _aware(self.closed_at, f"{where} closed_at")
            if self.closed_at < self.opened_at:
                raise DataError(
                    f"{where} closed at {self.closed_at.isoformat()} before it opened at "
                    f"{self.opened_at.isoformat()}",
                    source=_SOURCE,
                )
        if self.quantity <= 0:
            raise DataError(f"{where} quantity {self.quantity} must be positive", source=_SOURCE)
        for name in ("entry_price", "pnl", "fees"):
            _finite_decimal(getattr(self, name), f"{where} {name}")
        if self.exit_price is not None:
            _finite_decimal(self.exit_price, f"{where} exit_price")
        _finite_float(self.return_pct, f"{where} return_pct")


@dataclass(frozen=True, slots=True)
class RejectionCount:
    """How many times one rule said no for one reason."""

    stage: str
    rule: str
    reason: str
    count: int

    def check(self, where: str) -> None:
        if self.count < 0:
            raise DataError(f"{where} count {self.count} is negative", source=_SOURCE)


@dataclass(frozen=True, slots=True)
class DayRow:
    """One session's activity, from the database's daily-summary view (days in the account's market zone)."""

    day: date
    opened: int
    closed: int
    wins: int
    losses: int
    net_pnl: Decimal  # of the positions closed that day, after their fees
    fees: Decimal  # paid on that day's fills
    fills: int
    rejections: int

    def check(self, where: str) -> None:
        for name in ("net_pnl", "fees"):
            _finite_decimal(getattr(self, name), f"{where} {name}")
        if min(self.opened, self.closed, self.wins, self.losses, self.fills, self.rejections) < 0:
            raise DataError(f"{where} has a negative count", source=_SOURCE)


@dataclass(frozen=True, slots=True)
class ActiveRow:
    """One option leg still open at the end of the run, with its position's Greeks per unit at entry."""

    position_id: str
    underlying: str
    strategy_type: str
    instrument_key: str
    expiry: date
    days_to_expiry: int
    quantity: int
    avg_price: Decimal
    entry_delta: float | None = None
    entry_theta: float | None = None
    entry_vega: float | None = None
    entry_iv: float | None = None

    def check(self, where: str) -> None:
        _finite_decimal(self.avg_price, f"{where} avg_price")
        for name in ("entry_delta", "entry_theta", "entry_vega", "entry_iv"):
            value = getattr(self, name)
            if value is not None:
                _finite_float(value, f"{where} {name}")


@dataclass(frozen=True, slots=True)
class StateChange:
    """A change of the account's trading state (a breaker trip, its reset, an operator's action)."""

    ts: datetime
    from_state: str
    to_state: str
    reason: str

    def check(self, where: str) -> None:
        _aware(self.ts, f"{where} ts")


@dataclass(frozen=True, slots=True)
class AccountReport:
    account_id: str
    name: str
    currency: str
    market: Market  # its calendar's zone decides which session an equity mark belongs to
    starting_cash: Decimal
    equity: tuple[EquityRow, ...]  # in time order
    trades: tuple[TradeRow, ...]
    rejections: tuple[RejectionCount, ...] = ()
    open_positions_at_end: int = 0
    days: tuple[DayRow, ...] = ()  # in day order
    active: tuple[ActiveRow, ...] = ()  # option legs open at the end, nearest expiry first
    state_changes: tuple[StateChange, ...] = ()  # in time order

    def __post_init__(self) -> None:
        who = f"account {self.account_id}"
        _finite_decimal(self.starting_cash, f"{who} starting_cash")
        if self.starting_cash <= 0:
            raise DataError(f"{who} starting_cash {self.starting_cash} must be positive", source=_SOURCE)
        previous: datetime | None = None
        for i, row in enumerate(self.equity):
            row.check(f"{who} equity row {i}")
            if previous is not None and row.ts < previous:
                raise DataError(
                    f"{who} equity row {i} at {row.ts.isoformat()} is earlier than the row before it",
                    source=_SOURCE,
                )
            previous = row.ts
        for i, trade in enumerate(self.trades):
            trade.check(f"{who} trade {i} ({trade.position_id})")
        for i, rejection in enumerate(self.rejections):
            rejection.check(f"{who} rejection {i}")
        for i, day in enumerate(self.days):
            day.check(f"{who} day {i} ({day.day.isoformat()})")
        for i, leg in enumerate(self.active):
            leg.check(f"{who} open leg {i} ({leg.instrument_key})")
        for i, change in enumerate(self.state_changes):
            change.check(f"{who} state change {i}")
        if self.open_positions_at_end < 0:
            raise DataError(f"{who} open_positions_at_end is negative", source=_SOURCE)


@dataclass(frozen=True, slots=True)
class ReportData:
    title: str
    run_id: str
    mode: str  # backtest, paper or live
    period_start: date
    period_end: date
    generated_at: datetime  # from the run's clock
    config_summary: dict[str, str]  # effective config, secrets already masked
    accounts: tuple[AccountReport, ...]
    status: str = "completed"  # running, completed, failed or interrupted (a report of a dead run says so)
    scenario: str = ""  # the simulator's stress scenario, if any (crash, gap, halt, calm)

    def __post_init__(self) -> None:
        _aware(self.generated_at, "generated_at")
        if self.period_end < self.period_start:
            raise DataError(
                f"period ends {self.period_end.isoformat()} before it starts {self.period_start.isoformat()}",
                source=_SOURCE,
            )
        seen: set[str] = set()
        for account in self.accounts:
            if account.account_id in seen:
                raise DataError(f"account {account.account_id} appears twice", source=_SOURCE)
            seen.add(account.account_id)
