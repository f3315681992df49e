"""One account as the engine runs it: its broker, its book and its order manager, and its trade memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from optionpilot.core.calendars import Market
from optionpilot.core.ids import AccountId
from optionpilot.decisions.breaker import TradingState
from optionpilot.decisions.budgets import SleeveConfig
from optionpilot.decisions.kelly import ClosedTrade
from optionpilot.engine.book import AccountBook
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.broker import Broker


@dataclass(slots=True)
class AccountRuntime:
    account_id: AccountId
    name: str
    market: Market
    currency: str
    starting_cash: Decimal
    broker: Broker
    book: AccountBook
    orders: OrderManager
    closed_trades: list[ClosedTrade] = field(default_factory=list)
    # A bearish stock trade is a short sale; off unless the account's config allows it (issue 12).
    allow_short_stock: bool = False
    # Each sleeve's share of equity (day / swing / multileg): the dispatcher holds every entry to it.
    sleeves: SleeveConfig = field(default_factory=SleeveConfig)
    # The trading state (ACTIVE / REDUCING / HALTED) and why; the equity the day's loss is measured from.
    state: TradingState = TradingState.ACTIVE
    state_reason: str = ""
    day_start_equity: Decimal | None = None
    # Contract selections that reached the liquidity check, and those that found nothing liquid (alerts).
    liquidity_checks: int = 0
    liquidity_failures: int = 0
    # The run's health; when set, the dispatcher refuses entries while data or the broker is silent.
    health: HealthTracker | None = None

    def __post_init__(self) -> None:
        gate = self.orders.gate
        if gate is not None:
            # The gate refuses entries outside ACTIVE itself, so no path around the dispatcher exists.
            gate.state_source = lambda: (self.state, self.state_reason)
