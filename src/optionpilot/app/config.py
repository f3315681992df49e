"""The one configuration root, composed of each package's own config. Every seed number is a default here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from optionpilot.adapters.alpaca.settings import AlpacaEndpoints
from optionpilot.adapters.notify.config import NotifyConfig
from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.core.calendars import Market
from optionpilot.decisions.alerts import AlertsConfig
from optionpilot.decisions.budgets import SleeveConfig
from optionpilot.decisions.exits import ExitConfig
from optionpilot.decisions.health import HealthConfig
from optionpilot.decisions.kelly import KellyConfig
from optionpilot.decisions.liquidity import LiquidityConfig
from optionpilot.decisions.risk import RiskConfig
from optionpilot.decisions.selection import SelectionConfig
from optionpilot.decisions.sizing import SizingConfig
from optionpilot.decisions.tiers import TierConfig
from optionpilot.engine.config import EngineConfig
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.ports.broker import MultiLegStyle
from optionpilot.reports.config import ReportConfig
from optionpilot.signals.features import FeatureConfig
from optionpilot.signals.iv import IvConfig
from optionpilot.signals.rules import SignalConfig
from optionpilot.signals.sentiment import SentimentConfig
from optionpilot.signals.watchlist import WatchlistConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunConfig(_Strict):
    seed: int = Field(7, description="Everything random in a backtest follows this seed")
    db: str = Field("sqlite:///out/optionpilot.sqlite", description="SQLAlchemy URL of the system of record")
    out: Path = Field(Path("out"), description="Where reports are written")
    title: str = "OptionPilot backtest"
    news: Path | None = Field(
        None, description="A timestamped news file (CSV or JSON Lines) read in backtests"
    )


class AccountConfig(_Strict):
    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
    starting_cash: Decimal = Field(gt=0)
    market: Market = Market.US
    broker: str = Field("sim", pattern=r"^(sim|alpaca|dhan)$")
    # The simulated broker can behave like Alpaca (atomic multi-leg) or Dhan (legs one by one).
    multi_leg: MultiLegStyle = MultiLegStyle.ATOMIC
    # A bearish stock trade sells short only where this is on; otherwise a bearish signal trades no stock.
    allow_short_stock: bool = False
    # `[accounts.sleeves]` under the account's `[[accounts]]`: each way of trading gets its share of equity.
    sleeves: SleeveConfig = Field(default_factory=SleeveConfig)


def default_accounts() -> list[AccountConfig]:
    # Seed 000: the "large" ($121K) and "tiny" ($1,000) accounts run side by side.
    return [
        AccountConfig(name="large", starting_cash=Decimal(121_000), multi_leg=MultiLegStyle.ATOMIC),
        AccountConfig(name="tiny", starting_cash=Decimal(1_000), multi_leg=MultiLegStyle.LEGGED),
    ]


class StrategyConfig(_Strict):
    """The rules of the intraday single-leg flow (seeds 000-003)."""

    features: FeatureConfig = Field(default_factory=FeatureConfig)
    sentiment: SentimentConfig = Field(default_factory=SentimentConfig)
    iv: IvConfig = Field(default_factory=IvConfig)
    watchlist: WatchlistConfig = Field(default_factory=WatchlistConfig)
    signals: SignalConfig = Field(default_factory=SignalConfig)
    tiers: TierConfig = Field(default_factory=TierConfig)
    sizing: SizingConfig = Field(default_factory=SizingConfig)
    kelly: KellyConfig = Field(default_factory=KellyConfig)
    liquidity: LiquidityConfig = Field(default_factory=LiquidityConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    exits: ExitConfig = Field(default_factory=ExitConfig)


class LiveConfig(_Strict):
    """Live trading is off unless the command line says `--live`; keys come only from the environment."""

    alpaca_key_id: SecretStr = SecretStr("")
    alpaca_secret_key: SecretStr = SecretStr("")
    dhan_client_id: SecretStr = SecretStr("")
    dhan_access_token: SecretStr = SecretStr("")


class BrokersConfig(_Strict):
    """`[brokers.alpaca]`: where the real brokers are (endpoint overrides for the stubs or a proxy) and
    their limits. Never keys: those come from the environment only."""

    alpaca: AlpacaEndpoints = Field(default_factory=AlpacaEndpoints)


class OptionPilotConfig(_Strict):
    run: RunConfig = Field(default_factory=RunConfig)
    accounts: list[AccountConfig] = Field(default_factory=default_accounts)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    market: SimMarketConfig = Field(default_factory=SimMarketConfig)
    broker: SimBrokerConfig = Field(default_factory=SimBrokerConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    live: LiveConfig = Field(default_factory=LiveConfig)
    strategies: StrategiesConfig = Field(default_factory=StrategiesConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    brokers: BrokersConfig = Field(default_factory=BrokersConfig)

    @model_validator(mode="after")
    def _accounts_unique(self) -> Self:
        names = [a.name for a in self.accounts]
        if not names:
            raise ValueError("at least one account is needed")
        if len(set(names)) != len(names):
            raise ValueError(f"account names repeat: {names}")
        return self
