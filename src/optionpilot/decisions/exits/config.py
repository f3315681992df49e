"""The exit configs: `[strategy.exits]` (single-leg and stock) and `[strategies.exits]` (multi-leg).

Each carries its parameters and `rule_sets`: the ordered rule names of `registry.REGISTRY` a position gets,
chosen by "strategy/style". The defaults reproduce the rules as they were before the registry.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from optionpilot.decisions.exits.registry import check_table

# Seed 003's conditional exits: out at once on a vol spike against the position, profit taken at the share
# of the expected move; `exits.iv_rich` stays opt-in (on 1-minute realized vol it fires far too often).
_UNDERLYING = ("exits.sma20_break", "exits.underlying_stop", "exits.vol_spike", "exits.underlying_target")
_OPTION = ("exits.stop_loss", "exits.trailing_stop", "exits.profit_target", "exits.expected_move")
_AFTER = ("exits.delta", "exits.trend_flip")
SINGLE_LEG_RULE_SETS: dict[str, tuple[str, ...]] = {
    "*/day_trade": (
        "exits.day_close",
        "exits.absolute_stop",
        *_UNDERLYING,
        *_OPTION,
        *_AFTER,
        "exits.follow_through",
    ),
    # Shares (a stock entry, or shares delivered at expiry), whatever the style.
    "stock/*": (
        "exits.delivered_shares",
        "exits.stock_absolute_stop",
        "exits.stock_stop",
        "exits.stock_target",
        "exits.flat_by_close",
    ),
    "*/swing_trade": (
        "exits.swing_expiry",
        "exits.swing_time",
        "exits.absolute_stop",
        *_UNDERLYING,
        *_OPTION,
        "exits.theta_share",
        "exits.theta_protect",
        *_AFTER,
    ),
}
MULTI_LEG_RULE_SETS: dict[str, tuple[str, ...]] = {
    "*/*": (
        "multileg_exit.absolute_stop",
        "multileg_exit.stop",
        "multileg_exit.time",
        "multileg_exit.max_hold",  # seed 004: maximum holding period
        "multileg_exit.profit_target",
        "multileg_exit.trailing",  # seed 004: trailing stop activation
        "multileg_exit.theta",
        "multileg_exit.adjust",
        "multileg_exit.scaling",
    ),
}


class ExitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: Literal["option", "underlying"] = "option"
    # Option P&L (seed 000).
    profit_target: Decimal = Field(Decimal("0.50"), gt=0)
    stop_loss: Decimal = Field(Decimal("0.25"), gt=0, lt=1)
    trail_giveback: Decimal = Field(Decimal("0.25"), gt=0, lt=1)  # of the gain from entry to peak
    # Seed 003's ladder: the trail arms only once the peak is +100% over the entry fill, and from
    # then on it locks at least +50%. Arming at any gain sold swings on their first wiggle.
    trail_activation: Decimal = Field(Decimal("1.00"), ge=0)  # gain the peak must reach to arm the trail
    trail_lock_gain: Decimal = Field(Decimal("0.50"), ge=0)  # gain the armed stop never goes below
    partials: bool = True
    partial_first_gain: Decimal = Field(Decimal("0.50"), gt=0)
    partial_first_share: Decimal = Field(Decimal("0.50"), gt=0, lt=1)
    partial_second_gain: Decimal = Field(Decimal("0.75"), gt=0)
    partial_second_share: Decimal = Field(Decimal("0.25"), gt=0, lt=1)
    # Theta and Greeks (seeds 000, 003). 0-1 DTE options always decay fast, so these guard swings.
    theta_protect_dte: int = Field(7, ge=0)
    theta_max_share: float = Field(0.05, gt=0)  # theta per day over the option's value
    delta_take_profit: float = Field(0.85, gt=0, le=1)
    exit_on_trend_flip: bool = True
    # Time (seed 003): day trades flat by the close and out without follow-through; swings time out.
    flat_minutes_before_close: int = Field(5, ge=0)
    follow_through_minutes: int = Field(30, ge=1)
    follow_through_gain: float = 0.0
    swing_max_days: int = Field(14, ge=1)
    swing_exit_dte: int = Field(2, ge=0)
    # Underlying policy (seed 003).
    underlying_stop: float = Field(0.006, gt=0)
    underlying_target: float = Field(0.008, gt=0)
    underlying_target_min_option_gain: float = Field(0.20, ge=0)
    sma20_break: bool = True
    # Rolls (seed 003).
    rolls: bool = True  # act on roll proposals (the single-leg flow rolls a winning long up)
    roll_long_gain: Decimal = Field(Decimal("1.00"), gt=0)
    roll_short_dte: int = Field(21, ge=0)
    # Seed 003's conditional exits (vol spike and expected move are in the default lists; IV rich is not).
    vol_spike_sigma: float = Field(3.0, gt=0, description="short-window move against, in sigmas of RV")
    expected_move_take: float = Field(0.60, gt=0, le=1, description="of the expected move at entry IV")
    expected_move_max_days: int = Field(14, ge=1, description="horizon cap of the expected move, days")
    iv_rv_rich: float = Field(1.5, gt=1, description="IV over realized vol at which a long's premium is rich")
    iv_rv_min_gain: float = Field(0.0, description="option gain a rich-premium exit needs (never a loss)")
    # Which rules, in which order, by "strategy/style" ('*' for any); keys given replace those keys only.
    rule_sets: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(SINGLE_LEG_RULE_SETS))

    @field_validator("rule_sets", mode="before")
    @classmethod
    def _merge_rule_sets(cls, value: object) -> object:
        return {**SINGLE_LEG_RULE_SETS, **value} if isinstance(value, dict) else value

    @field_validator("rule_sets")
    @classmethod
    def _known_rules(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        check_table(value, "single_leg", "stock")
        return value


class MultiLegExitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profit_target_credit: float = Field(0.50, gt=0, description="of max profit (seed 004: 50%)")
    profit_target_debit: float = Field(0.75, gt=0, description="of max profit, debit strategies")
    profit_target_unbounded: float = Field(1.00, gt=0, description="of the debit paid, unbounded profit")
    scaling_levels: tuple[float, ...] = Field((0.25, 0.50, 0.75), description="seed 004: 25/50/75% exits")
    scaling_fraction: float = Field(0.25, gt=0, lt=1, description="of the opened units, at each level")
    stop_pct_max_loss: float = Field(0.50, gt=0, le=1, description="seed 004: -50% of max loss")
    stop_credit_multiple: float = Field(2.0, gt=0, description="unbounded loss: stop at this x the credit")
    stop_absolute: float | None = Field(
        None, gt=0, description="loss in currency that closes any position (seed 004's example: 5,000 INR)"
    )
    dte_exit_short_premium: int = Field(21, ge=0, description="seed 004: close short premium at 21 DTE")
    dte_exit_other: int = Field(7, ge=0, description="seed 004: close at 7 DTE")
    high_urgency_dte: int = Field(2, ge=0)
    theta_decay_pct: float = Field(0.04, gt=0, description="long premium: daily theta over value")
    roll_buffer_pct: float = Field(0.01, ge=0, description="short strike this close to spot: propose a roll")
    # Seed 004's optional exits (registered, not in the default rule list): a trailing stop on capture
    # and a maximum holding period.
    trail_arm_capture: float = Field(0.30, gt=0, description="capture the peak must reach to arm the trail")
    trail_giveback_capture: float = Field(0.15, gt=0, description="capture given back from the peak: out")
    max_hold_days: int = Field(45, ge=1, description="calendar days held: out")
    # Executed defensive rolls (seed 003: "roll shorts at 21 DTE if still at risk"): the ADJUST is sent as
    # one roll order; off, it stays a proposal for a person (the `monitor` verb shows it).
    rolls: bool = Field(True, description="execute ADJUST: roll the threatened short (and wing) out")
    roll_otm_pct: float = Field(
        0.03, gt=0, lt=1, description="the new short at least this far out of the money"
    )
    roll_max_dte: int = Field(90, ge=1, description="the latest expiry a roll may go to, in DTE")
    rule_sets: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(MULTI_LEG_RULE_SETS),
        description="ordered rules by 'strategy/style' ('*' for any); keys given replace those keys only",
    )

    @field_validator("rule_sets", mode="before")
    @classmethod
    def _merge_rule_sets(cls, value: object) -> object:
        return {**MULTI_LEG_RULE_SETS, **value} if isinstance(value, dict) else value

    @field_validator("rule_sets")
    @classmethod
    def _known_rules(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        check_table(value, "multi_leg")
        return value
