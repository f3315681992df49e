"""What the replay assumes where the files say nothing: rates, sizes, lot sizes, and each symbol's contract
terms (which symbols are ETFs or indices, and so how their options settle)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.adapters.files.corporate_actions import SplitConfig
from optionpilot.core.calendars import Market
from optionpilot.domain.instruments import AssetClass, ExerciseStyle, Settlement, Underlying

NSE_TICK = Decimal("0.05")


class ReplayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fallback_rate: float = Field(
        0.02, description="US rate where the Treasury curves do not reach (they end in 2017); stated in notes"
    )
    inr_rate: float = Field(0.055, description="India rate (RBI repo, July 2025): no INR curve is stored")
    dividend_yields: dict[str, float] = Field(
        default_factory=dict, description="continuous, by symbol; else 0"
    )
    assumed_quote_size: int = Field(
        10, ge=0, description="size shown for quotes whose file has none (end-of-day chains); stated in notes"
    )
    lot_sizes: dict[str, int] = Field(
        default_factory=lambda: {"NIFTY": 75, "BANKNIFTY": 35}, description="NSE lot sizes, July 2025"
    )
    etfs: tuple[str, ...] = ("SPY", "QQQ", "IWM", "DIA", "VXX")
    indices: tuple[str, ...] = ("NIFTY", "BANKNIFTY", "SPX", "NDX", "RUT")
    chain_lookback_days: int = Field(7, ge=0, description="calendar days back for the latest chain snapshot")
    history_lookback_days: int = Field(30, ge=1, description="calendar days back for minute history")
    daily_years: int = Field(3, ge=1, description="years of daily bars before the replay kept for history")
    extended_hours_bars: bool = Field(False, description="serve pre/post-market bars to the engine")
    splits: SplitConfig = Field(default_factory=SplitConfig)


def underlying_for(symbol: str, market: Market, cfg: ReplayConfig) -> Underlying:
    """The symbol's terms. Options on the configured indices (NIFTY, BANKNIFTY, SPX...) are European and
    settle in cash; options on shares and ETFs (SPY, AAPL, an NSE stock) deliver the shares at expiry.
    US equity options are American; NSE's, like its index options, are European."""
    index = symbol in cfg.indices
    settlement = Settlement.CASH if index else Settlement.PHYSICAL
    if market is Market.IN:
        return Underlying(
            symbol,
            Market.IN,
            AssetClass.INDEX if index else AssetClass.EQUITY,
            "INR",
            tick=NSE_TICK,
            option_multiplier=cfg.lot_sizes.get(symbol, 1),
            option_style=ExerciseStyle.EUROPEAN,
            option_settlement=settlement,
            option_tick=NSE_TICK,
        )
    if index:
        return Underlying(
            symbol,
            Market.US,
            AssetClass.INDEX,
            option_style=ExerciseStyle.EUROPEAN,
            option_settlement=settlement,
        )
    asset = AssetClass.ETF if symbol in cfg.etfs else AssetClass.EQUITY
    return Underlying(symbol, Market.US, asset, option_settlement=settlement)
