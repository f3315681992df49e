"""The recorder port: every record of a tick goes through one unit of work, stored together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from optionpilot.core.ids import AccountId
from optionpilot.domain.accounts import LedgerEntry
from optionpilot.domain.fills import ExpirySettlement, Fill
from optionpilot.domain.incidents import Incident
from optionpilot.domain.market import NewsItem
from optionpilot.domain.orders import Order
from optionpilot.domain.positions import Position
from optionpilot.domain.recommendations import PositionEvent, Recommendation, Rejection, Signal
from optionpilot.ports.sentiment import SentimentScore


@dataclass(frozen=True, slots=True)
class EquityPoint:
    account_id: AccountId
    ts: datetime
    cash: Decimal
    equity: Decimal
    delta: float = 0.0  # shares-equivalent
    gamma: float = 0.0
    vega: float = 0.0  # currency per vol point
    theta: float = 0.0  # currency per calendar day
    exposure: Decimal = Decimal(0)  # gross market value of open option positions


@dataclass(frozen=True, slots=True)
class ScoredNews:
    item: NewsItem
    sentiment: SentimentScore


@dataclass(frozen=True, slots=True)
class FeatureSnapshot:
    """One symbol's features at one time, as the signal stage saw them."""

    ts: datetime
    symbol: str
    values: dict[str, float]


@dataclass(slots=True)
class TickRecords:
    """Everything one tick produced; the recorder stores it atomically."""

    ts: datetime
    news: list[ScoredNews] = field(default_factory=list)
    features: list[FeatureSnapshot] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)  # every new version of an order
    fills: list[Fill] = field(default_factory=list)
    settlements: list[ExpirySettlement] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    position_events: list[PositionEvent] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)  # positions whose state changed
    equity: list[EquityPoint] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            (
                self.news,
                self.features,
                self.signals,
                self.recommendations,
                self.rejections,
                self.orders,
                self.fills,
                self.settlements,
                self.ledger,
                self.position_events,
                self.positions,
                self.equity,
                self.incidents,
            )
        )


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    mode: str  # backtest | paper | live
    started_at: datetime
    seed: int | None
    config_json: str  # effective configuration with secrets masked
    accounts: Sequence[tuple[AccountId, str, Decimal, str]]  # id, name, starting cash, currency


class Recorder(Protocol):
    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None:
        """Store one tick's records in one transaction."""
        ...

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ClosedOptionTrade:
    """One closed option position as Kelly sizing sees it (seed 000: the account's last 30 days)."""

    account_id: str
    closed_at: datetime
    pnl: Decimal  # realized, after fees
    cost: Decimal  # premium paid at entry (positive)


class TradeHistory(Protocol):
    def closed_option_trades(
        self, account_id: str, since: datetime, until: datetime, *, mode: str, run_id: str
    ) -> list[ClosedOptionTrade]:
        """Option positions of `account_id` closed in (since, until], oldest first.

        A backtest sees only its own run (two backtests over the same dates must not feed each other);
        paper and live see every run of their mode, so the history survives a restart.
        """
        ...
