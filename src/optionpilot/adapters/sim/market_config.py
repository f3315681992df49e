"""Configuration of the market simulator: per-underlying profiles, model knobs and planted events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optionpilot.adapters.sim.scenarios import Scenario
from optionpilot.core.calendars import Market
from optionpilot.core.errors import ConfigError
from optionpilot.domain.instruments import AssetClass, ExerciseStyle, Settlement


class ListingStyle(StrEnum):
    DAILY = "daily"  # an expiry every session, plus weeklies and monthlies (SPY, QQQ, IWM)
    WEEKLY = "weekly"  # an expiry every week on `expiry_weekday`, plus monthlies
    MONTHLY = "monthly"  # monthlies only


class MonthlyRule(StrEnum):
    THIRD = "third"  # US: the third Friday
    LAST = "last"  # NSE: the last Tuesday (or Thursday) of the month


class StrikeBand(BaseModel):
    """Strikes every `step` within `within` (a fraction of the reference price) on either side."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    within: float = Field(gt=0, le=1)
    step: Decimal = Field(gt=0)


class UnderlyingProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1, max_length=20)
    market: Market = Market.US
    asset_class: AssetClass = AssetClass.EQUITY
    currency: str = "USD"
    spot: float = Field(gt=0, description="close of the last session before the simulated minute sessions")
    tick: Decimal = Field(default=Decimal("0.01"), gt=0)
    base_vol: float = Field(default=0.25, gt=0, lt=5)
    vol_of_vol: float = Field(default=1.2, ge=0, description="of log-volatility, per square-root year")
    vol_mean_reversion: float = Field(default=6.0, gt=0, description="per year")
    spot_vol_correlation: float = Field(default=-0.6, ge=-1, le=1)
    jump_intensity: float = Field(default=3.0, ge=0, description="jumps per year")
    jump_mean: float = -0.01
    jump_std: float = Field(default=0.03, ge=0)
    jump_vol_kick: float = Field(default=0.15, ge=0, description="log-volatility rise at a jump")
    drift: float = Field(default=0.06, description="annual expected return")
    dividend_yield: float = Field(default=0.0, ge=0, lt=1)
    daily_volume: float = Field(default=20e6, gt=0, description="typical shares (or units) per session")
    surges_per_session: float = Field(default=0.3, ge=0)
    news_per_session: float = Field(default=1.5, ge=0)
    listing: ListingStyle = ListingStyle.WEEKLY
    expiry_weekday: int = Field(default=4, ge=0, le=4, description="0 Monday .. 4 Friday")
    monthly_rule: MonthlyRule = MonthlyRule.THIRD
    daily_horizon_days: int = Field(default=42, ge=0)
    weekly_horizon_days: int = Field(default=63, ge=0)
    monthly_count: int = Field(default=9, ge=1)
    strike_bands: tuple[StrikeBand, ...] = (
        StrikeBand(within=0.12, step=Decimal("2.5")),
        StrikeBand(within=0.40, step=Decimal(5)),
    )
    option_multiplier: int = Field(
        default=100, ge=1, description="contract size: 100 in the US, the lot size on NSE"
    )
    option_style: ExerciseStyle = ExerciseStyle.AMERICAN
    option_settlement: Settlement = Settlement.PHYSICAL
    option_tick: Decimal = Field(default=Decimal("0.01"), gt=0)
    liquidity: float = Field(
        default=0.5, gt=0, description="scales open interest, volume, sizes; narrows spreads"
    )
    skew: float = Field(default=-0.08, description="IV change per standard deviation of moneyness, relative")
    smile: float = Field(default=0.02, ge=0)

    @model_validator(mode="after")
    def _bands_ordered(self) -> Self:
        if not self.strike_bands:
            raise ValueError(f"{self.symbol}: strike_bands must not be empty")
        widths = [b.within for b in self.strike_bands]
        if widths != sorted(widths):
            raise ValueError(f"{self.symbol}: strike_bands must go from the nearest band outwards")
        return self


class PathConfig(BaseModel):
    """Knobs of the price, volatility and volume paths shared by all underlyings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overnight_variance_share: float = Field(default=0.2, ge=0, lt=1)
    volume_open_boost: float = Field(default=3.0, ge=0, description="extra volume at the open, times midday")
    volume_close_boost: float = Field(default=2.0, ge=0)
    variance_open_boost: float = Field(default=1.5, ge=0)
    variance_close_boost: float = Field(default=0.5, ge=0)
    shape_decay: float = Field(default=0.06, gt=0, description="U-shape decay, as a fraction of the session")
    volume_noise: float = Field(default=0.35, ge=0, description="log-normal dispersion of minute volume")
    volume_move_sensitivity: float = Field(default=0.3, ge=0, description="extra volume per sigma beyond 1")
    surge_multiple: float = Field(default=4.0, ge=1, description="median volume multiple of a random surge")
    surge_dispersion: float = Field(default=0.3, ge=0)
    surge_min_minutes: int = Field(default=5, ge=1)
    surge_max_minutes: int = Field(default=20, ge=1)
    surge_vol_exponent: float = Field(
        default=0.25, ge=0, description="volatility rises as multiple**exponent"
    )
    high_low_scale: float = Field(
        default=0.6, ge=0, description="bar range beyond open/close, in minute sigmas"
    )


class SurfaceConfig(BaseModel):
    """The implied-volatility surface and which strikes a chain shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iv_premium: float = Field(
        default=1.1, gt=0, description="implied over model volatility (variance premium)"
    )
    term_reversion: float = Field(
        default=4.0, gt=0, description="per year: how fast the ATM term curve reverts"
    )
    z_clip: float = Field(default=5.0, gt=0)
    iv_floor: float = Field(default=0.03, gt=0)
    window_sd: float = Field(default=2.5, gt=0, description="chain strikes within this many ATM deviations")
    window_min: float = Field(default=0.02, gt=0, description="chain strikes within at least this fraction")
    window_max: float = Field(default=0.25, gt=0)


class QuoteConfig(BaseModel):
    """Spreads, displayed sizes, open interest, volume and quote defects."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spread_pct: float = Field(default=0.012, ge=0, description="at-the-money spread over price, liquidity 1")
    min_spread_ticks: int = Field(default=1, ge=1)
    wing_widening: float = Field(default=0.35, ge=0, description="relative widening per deviation away")
    short_dte_widening: float = Field(default=1.0, ge=0, description="relative widening at 0 DTE")
    short_dte_days: float = Field(default=2.0, gt=0)
    size_base: float = Field(default=120.0, gt=0)
    open_interest_base: float = Field(default=40000.0, ge=0)
    volume_base: float = Field(default=60000.0, ge=0)
    defect_rate: float = Field(default=0.01, ge=0, le=1, description="far-OTM quotes shown one-sided")
    defect_min_z: float = Field(default=1.5, ge=0)


class NewsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    drift_per_tone: float = Field(default=0.002, description="log drift over the window for tone 1.0")
    drift_minutes: int = Field(default=60, ge=1)
    neutral_share: float = Field(default=0.6, ge=0, le=1)
    pre_open_minutes: int = Field(default=90, ge=0, description="news may arrive this long before the open")


class RateCurve(BaseModel):
    """r(tenor) = long + (short - long) * exp(-tenor / scale_days): flat when short == long."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    short: float = 0.04
    long: float = 0.04
    scale_days: float = Field(default=365.0, gt=0)


class PlantedEvent(BaseModel):
    """A scripted event for tests: at replay `session` and `minute` from the open, on `symbol`.

    The volume multiple and drift apply over `duration_minutes`; the jump at the first minute; the
    headline (if any) is published at the start of that minute. Planted volume does not raise
    volatility, so the planted drift is what moves the price.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    session: int = Field(ge=0)
    minute: int = Field(ge=0)
    duration_minutes: int = Field(default=1, ge=1)
    volume_multiple: float = Field(default=1.0, gt=0)
    headline: str | None = None
    tone: float = Field(default=0.0, ge=-1, le=1)
    jump_pct: float = Field(default=0.0, gt=-1)
    drift_pct: float = Field(default=0.0, gt=-1, description="total move spread over the duration")


def default_us_profiles() -> tuple[UnderlyingProfile, ...]:
    """Ten liquid US names: three index ETFs with dailies, seven stocks with weeklies."""
    fine = (StrikeBand(within=0.10, step=Decimal(1)), StrikeBand(within=0.40, step=Decimal(5)))
    etf = {
        "asset_class": AssetClass.ETF,
        "listing": ListingStyle.DAILY,
        "strike_bands": fine,
        "liquidity": 1.0,
    }
    return (
        UnderlyingProfile(
            symbol="SPY",
            spot=580.0,
            base_vol=0.16,
            vol_of_vol=1.4,
            jump_intensity=1.5,
            jump_mean=-0.015,
            jump_std=0.015,
            dividend_yield=0.012,
            daily_volume=60e6,
            spot_vol_correlation=-0.75,
            **etf,
        ),
        UnderlyingProfile(
            symbol="QQQ",
            spot=500.0,
            base_vol=0.20,
            vol_of_vol=1.4,
            jump_intensity=2.0,
            jump_mean=-0.015,
            jump_std=0.02,
            dividend_yield=0.006,
            daily_volume=40e6,
            spot_vol_correlation=-0.7,
            **etf,
        ),
        UnderlyingProfile(
            symbol="IWM",
            spot=220.0,
            base_vol=0.22,
            vol_of_vol=1.3,
            jump_intensity=2.0,
            jump_mean=-0.012,
            jump_std=0.02,
            dividend_yield=0.012,
            daily_volume=30e6,
            spot_vol_correlation=-0.65,
            **{**etf, "liquidity": 0.7},
        ),
        UnderlyingProfile(
            symbol="AAPL", spot=230.0, base_vol=0.27, dividend_yield=0.004, daily_volume=50e6, liquidity=0.8
        ),
        UnderlyingProfile(
            symbol="MSFT", spot=420.0, base_vol=0.25, dividend_yield=0.007, daily_volume=20e6, liquidity=0.6
        ),
        UnderlyingProfile(
            symbol="NVDA",
            spot=180.0,
            base_vol=0.50,
            jump_intensity=5.0,
            jump_std=0.05,
            daily_volume=200e6,
            liquidity=0.9,
        ),
        UnderlyingProfile(symbol="AMZN", spot=200.0, base_vol=0.32, daily_volume=40e6, liquidity=0.7),
        UnderlyingProfile(
            symbol="META",
            spot=600.0,
            base_vol=0.38,
            jump_intensity=4.0,
            jump_std=0.05,
            dividend_yield=0.003,
            daily_volume=15e6,
            liquidity=0.6,
            strike_bands=(StrikeBand(within=0.40, step=Decimal(5)),),
        ),
        UnderlyingProfile(
            symbol="TSLA",
            spot=250.0,
            base_vol=0.60,
            jump_intensity=6.0,
            jump_std=0.06,
            daily_volume=90e6,
            liquidity=0.9,
        ),
        UnderlyingProfile(
            symbol="GOOGL", spot=170.0, base_vol=0.30, dividend_yield=0.005, daily_volume=25e6, liquidity=0.6
        ),
    )


def nse_index_profiles() -> tuple[UnderlyingProfile, ...]:
    """NIFTY (weekly Tuesday expiries, lot 75) and BANKNIFTY (monthly last Tuesday, lot 35)."""
    common = {
        "market": Market.IN,
        "asset_class": AssetClass.INDEX,
        "currency": "INR",
        "tick": Decimal("0.05"),
        "option_tick": Decimal("0.05"),
        "option_style": ExerciseStyle.EUROPEAN,
        "option_settlement": Settlement.CASH,
        "expiry_weekday": 1,
        "monthly_rule": MonthlyRule.LAST,
        "weekly_horizon_days": 35,
        "monthly_count": 3,
        "dividend_yield": 0.012,
        "liquidity": 1.0,
        "spot_vol_correlation": -0.7,
        "jump_intensity": 1.5,
        "jump_std": 0.015,
    }
    return (
        UnderlyingProfile(
            symbol="NIFTY",
            spot=25000.0,
            base_vol=0.13,
            daily_volume=3e8,
            listing=ListingStyle.WEEKLY,
            option_multiplier=75,
            strike_bands=(
                StrikeBand(within=0.15, step=Decimal(50)),
                StrikeBand(within=0.40, step=Decimal(100)),
            ),
            **common,
        ),
        UnderlyingProfile(
            symbol="BANKNIFTY",
            spot=56000.0,
            base_vol=0.15,
            daily_volume=2e8,
            listing=ListingStyle.MONTHLY,
            option_multiplier=35,
            strike_bands=(
                StrikeBand(within=0.15, step=Decimal(100)),
                StrikeBand(within=0.40, step=Decimal(500)),
            ),
            **common,
        ),
    )


class SimMarketConfig(BaseModel):
    """Everything the simulator needs besides the clock and the seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    market: Market = Market.US
    end: date = date(2026, 10, 30)
    sessions: int = Field(default=20, ge=1, description="minute sessions replayed, ending at `end`")
    warmup_sessions: int = Field(
        default=1, ge=0, description="minute sessions before the replay, for history"
    )
    history_sessions: int = Field(default=260, ge=0, description="daily bars before the first minute session")
    profiles: tuple[UnderlyingProfile, ...] = Field(default_factory=default_us_profiles)
    planted: tuple[PlantedEvent, ...] = ()
    scenario: Scenario | None = Field(default=None, description="a stress scenario (crash, gap, halt, calm)")
    # The simulator's volatility index is this underlying's 30-day ATM IV in points (VIX is SPX's, India
    # VIX is NIFTY's); None, or a symbol not simulated, means the market has none.
    volatility_index_symbol: str | None = "SPY"
    paths: PathConfig = PathConfig()
    surface: SurfaceConfig = SurfaceConfig()
    quotes: QuoteConfig = QuoteConfig()
    news: NewsConfig = NewsConfig()
    rates: RateCurve = RateCurve()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        symbols = [p.symbol for p in self.profiles]
        if not symbols:
            raise ValueError("profiles must name at least one underlying")
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"profiles repeat a symbol: {symbols}")
        for p in self.profiles:
            if p.market is not self.market:
                raise ValueError(
                    f"profile {p.symbol} is on market {p.market}, the simulator on {self.market}"
                )
        for i, ev in enumerate(self.planted):
            if ev.symbol not in symbols:
                raise ValueError(f"planted[{i}]: unknown symbol {ev.symbol!r}")
            if ev.session >= self.sessions:
                raise ValueError(f"planted[{i}]: session {ev.session} is beyond the {self.sessions} sessions")
        sc = self.scenario
        if sc is not None:
            unknown = sorted(set(sc.symbols) - set(symbols))
            if unknown:
                raise ValueError(
                    f"scenario {sc.kind}: unknown symbols {unknown}; simulated: {sorted(symbols)}"
                )
            if sc.session >= self.sessions:
                raise ValueError(
                    f"scenario {sc.kind}: session {sc.session} is beyond the {self.sessions} sessions "
                    f"(replay at least {sc.session + 1})"
                )
        return self

    @classmethod
    def india(cls, **overrides: object) -> SimMarketConfig:
        """NIFTY and BANKNIFTY on the NSE calendar."""
        values: dict[str, object] = {
            "market": Market.IN,
            "profiles": nse_index_profiles(),
            "volatility_index_symbol": "NIFTY",
            **overrides,
        }
        return cls.model_validate(values)

    def only(self, symbols: list[str]) -> SimMarketConfig:
        """A copy keeping only `symbols` (in the order given); planted events on others are dropped."""
        by_symbol = {p.symbol: p for p in self.profiles}
        missing = [s for s in symbols if s not in by_symbol]
        if missing:
            raise ConfigError(f"symbols {missing} are not simulated; known: {sorted(by_symbol)}")
        kept = tuple(by_symbol[s] for s in symbols)
        planted = tuple(ev for ev in self.planted if ev.symbol in symbols)
        scenario = self.scenario
        if scenario is not None and scenario.symbols:
            hit = tuple(s for s in scenario.symbols if s in symbols)
            if not hit:
                raise ConfigError(
                    f"scenario {scenario.kind}: none of its symbols {list(scenario.symbols)} is kept"
                )
            scenario = scenario.model_copy(update={"symbols": hit})
        return self.model_copy(update={"profiles": kept, "planted": planted, "scenario": scenario})
