"""The rows the read models return: plain frozen records, money as Decimal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    mode: str
    seed: int | None
    started_at: datetime
    ended_at: datetime | None
    config_json: str
    summary_json: str | None
    status: str = "completed"  # running | completed | failed | interrupted
    error: str | None = None
    pid: int | None = None
    host: str | None = None
    heartbeat_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountRow:
    account_id: str
    name: str
    starting_cash: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class EquityRow:
    ts: datetime
    cash: Decimal
    equity: Decimal
    exposure: Decimal
    drawdown: Decimal  # equity minus its running peak: 0 or negative
    drawdown_pct: float  # drawdown over the running peak


@dataclass(frozen=True, slots=True)
class GreeksRow:
    ts: datetime
    delta: float
    gamma: float
    vega: float
    theta: float


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    position_id: str
    account_id: str
    underlying: str
    strategy_type: str
    opened_at: datetime
    closed_at: datetime
    entry_reason: str
    exit_reason: str
    entry_cost: Decimal
    realized_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    return_pct: float | None  # net P&L over the absolute entry cost; None when that cost is zero


@dataclass(frozen=True, slots=True)
class TradeFills:
    """What a position bought and sold: quantities and volume-weighted prices per share."""

    position_id: str
    opened_quantity: int
    entry_price: Decimal | None
    closed_quantity: int
    exit_price: Decimal | None


@dataclass(frozen=True, slots=True)
class RejectionCount:
    stage: str
    rule: str
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class StateChangeRow:
    """A trading-state incident, its detail `from -> to: reason` taken apart."""

    ts: datetime
    account_id: str
    from_state: str
    to_state: str
    reason: str
