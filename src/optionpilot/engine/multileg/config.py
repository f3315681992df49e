"""Configuration of the multi-leg workflow (seed 004): scan, allocate, enter, manage, backtest."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.calendars import Market
from optionpilot.decisions.exits import MultiLegExitConfig
from optionpilot.decisions.strategies.allocation import AllocationConfig
from optionpilot.decisions.strategies.analysis import AnalysisConfig
from optionpilot.decisions.strategies.config import ScanConfig
from optionpilot.decisions.strategies.scoring import RiskTolerance, ScoringConfig


class DeskConfig(BaseModel):
    """How entries and exits are sent, and when the verbs look at the simulated market."""

    model_config = ConfigDict(extra="forbid")

    fill_wait_minutes: int = Field(5, ge=1, description="execute/monitor poll the broker this long for fills")
    minutes_before_close: int = Field(
        30, ge=10, description="the simulated verbs look at the last session this long before its close"
    )
    history_days: int = Field(60, ge=2, description="daily closes behind direction, RSI and trend")
    iv_lookback_days: int = Field(252, ge=5, description="sessions of ATM IV behind the IV percentile")
    chain_max_dte: int = Field(120, ge=1, description="widest expiry a scan asks the market for")
    standing_cash: dict[Market, Decimal] = Field(
        default_factory=lambda: {Market.US: Decimal(121_000), Market.IN: Decimal(1_500_000)},
        description="cash of the standing simulated account when no configured account trades that market",
    )


class FlowConfig(BaseModel):
    """The multileg backtest: when in a session it scans and enters, and how often it manages positions."""

    model_config = ConfigDict(extra="forbid")

    step_minutes: int = Field(30, ge=1, description="how often the flow looks during a session")
    scan_minute: int = Field(30, ge=1, description="minutes after the open of the daily scan and entries")
    max_new_positions: int = Field(6, ge=0, description="entries per session at most")
    max_open_positions: int = Field(30, ge=1)


class StrategiesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    risk: RiskTolerance = RiskTolerance.MODERATE
    scan: ScanConfig = Field(default_factory=ScanConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    allocation: AllocationConfig = Field(default_factory=AllocationConfig)
    exits: MultiLegExitConfig = Field(default_factory=MultiLegExitConfig)
    desk: DeskConfig = Field(default_factory=DeskConfig)
    flow: FlowConfig = Field(default_factory=FlowConfig)
