"""Connecting to Alpaca for a live run: keys from the environment, one request budget for every client,
the broker's clock, the account, its market data, and the broker's calendar.

Paper is the default; `live=True` needs the flag on the command line. Before anything trades, the
account is read: a blocked account, or one whose trading is suspended, is refused with a one-line error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from alpaca.trading.client import TradingClient
from alpaca.trading.models import TradeAccount

from optionpilot.adapters.alpaca.broker import AlpacaBroker
from optionpilot.adapters.alpaca.clock import BrokerSessions, broker_time
from optionpilot.adapters.alpaca.market_data import AlpacaMarketData
from optionpilot.adapters.alpaca.settings import alpaca_settings
from optionpilot.adapters.alpaca.transport import RequestBudget, attach
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.live_run import BrokerSession
from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.clock import BrokerClock
from optionpilot.core.errors import BrokerError
from optionpilot.core.ids import AccountId


def connect_alpaca(
    config: OptionPilotConfig,
    env: Mapping[str, str],
    *,
    live: bool,
    symbols: Sequence[str] | None = None,
    account_name: str | None = None,
) -> BrokerSession:
    settings = alpaca_settings(env, config.brokers.alpaca.model_dump(), paper=not live)
    endpoints = settings.endpoints
    budget = RequestBudget(endpoints.requests_per_minute)
    trading = TradingClient(
        settings.key_id,
        settings.secret_key.get_secret_value(),
        paper=settings.paper,
        url_override=settings.trading_url,
    )
    attach(trading, budget, endpoints.timeout_s)
    clock = BrokerClock(broker_time(trading))
    # Alpaca's limit is per minute of its own time: real at Alpaca, accelerated on the stub's rehearsal.
    budget.count_in(lambda: clock.kept_time().timestamp(), lambda: clock.rate)
    account = _tradable_account(trading)
    mode = "live" if live else "paper"
    name = account_name or f"alpaca-{mode}"
    universe = list(symbols) if symbols else [p.symbol for p in config.market.profiles]
    data = AlpacaMarketData(
        settings,
        clock,
        budget,
        universe,
        calendar_for(Market.US),
        risk_free_rate=config.market.rates.short,
        # Two real seconds of the broker's time: what our kept clock may trail it by.
        clock_skew_s=2.0 * clock.rate,
    )
    broker = AlpacaBroker(AccountId(name), settings, budget, clock)
    # The stream, and the activities' cursor: what happened before this process is reconciliation's.
    broker.start()

    def close() -> None:
        broker.close()
        data.close()

    return BrokerSession(
        broker_name="alpaca",
        mode=mode,
        market=Market.US,
        clock=clock,
        data=data,
        broker=broker,
        sessions=BrokerSessions(trading),
        account_label=str(account.account_number),
        equity=Decimal(str(account.equity or "0")),
        request_stats=budget.stats,
        settlements_missed=broker.settlements_missed,
        close=close,
    )


def _tradable_account(trading: TradingClient) -> TradeAccount:
    try:
        account = trading.get_account()
    except Exception as exc:  # the SDK raises APIError or requests' errors; both end the start here
        raise BrokerError(
            f"GET /v2/account: {type(exc).__name__}: {str(exc)[:200]}", broker="alpaca"
        ) from None
    if not isinstance(account, TradeAccount):
        raise BrokerError("GET /v2/account: not an account", broker="alpaca")
    if account.account_blocked or account.trading_blocked:
        raise BrokerError(
            f"account {account.account_number} is blocked from trading (status {account.status})",
            broker="alpaca",
        )
    return account
