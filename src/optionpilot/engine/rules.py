"""The rule configs the stages apply, gathered so the app can hand them over in one piece."""

from __future__ import annotations

from dataclasses import dataclass, field

from optionpilot.decisions.exits import ExitConfig
from optionpilot.decisions.kelly import KellyConfig
from optionpilot.decisions.liquidity import LiquidityConfig
from optionpilot.decisions.risk import RiskConfig
from optionpilot.decisions.selection import SelectionConfig
from optionpilot.decisions.sizing import SizingConfig
from optionpilot.decisions.tiers import TierConfig
from optionpilot.engine.config import EngineConfig
from optionpilot.signals.features import FeatureConfig
from optionpilot.signals.iv import IvConfig
from optionpilot.signals.rules import SignalConfig
from optionpilot.signals.sentiment import SentimentConfig
from optionpilot.signals.watchlist import WatchlistConfig


@dataclass(frozen=True, slots=True)
class Rules:
    engine: EngineConfig = field(default_factory=EngineConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    sentiment: SentimentConfig = field(default_factory=SentimentConfig)
    iv: IvConfig = field(default_factory=IvConfig)
    watchlist: WatchlistConfig = field(default_factory=WatchlistConfig)
    signals: SignalConfig = field(default_factory=SignalConfig)
    tiers: TierConfig = field(default_factory=TierConfig)
    sizing: SizingConfig = field(default_factory=SizingConfig)
    kelly: KellyConfig = field(default_factory=KellyConfig)
    liquidity: LiquidityConfig = field(default_factory=LiquidityConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    exits: ExitConfig = field(default_factory=ExitConfig)
