"""The position manager's rules (seeds 000, 003) as one pure function over a position's values.

Default policy "option" works on the option's own price, measured from the average entry fill: stop
-25%; the trailing stop arms once the peak is +100% over the entry (seed 003: "move stop to +50% after
+100% profit") and then sits at the higher of entry + 50% and peak - 0.25 x (peak - entry) (seed 000);
it is checked on the bid (what a sale would get) and never sells below the entry fill; partial exits
50% at +50% and to 75% sold at +75% (the rest rides to the trailing stop), Greeks and theta protection.
Policy "underlying" is seed 003's structure-based exit. With no option quote, the underlying rules decide
and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import DataError
from optionpilot.domain.recommendations import Decision

DAY_TRADE = "day_trade"
SWING_TRADE = "swing_trade"


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


class ExitKind(StrEnum):
    HOLD = "hold"
    CLOSE_ALL = "close_all"
    CLOSE = "close"  # close `quantity` contracts, keep the rest


@dataclass(frozen=True, slots=True)
class PositionView:
    """What the exit rules look at for one single-leg position, per share where it is a price."""

    trade_style: str  # day_trade | swing_trade
    is_call: bool
    entry_price: Decimal
    peak_price: Decimal  # highest option price seen since entry (the current one is folded in here)
    option_price: Decimal | None  # current value from the option's own quote; None when it has none
    underlying_price: float
    underlying_entry: float
    quantity: int
    original_quantity: int
    dte: int
    minutes_held: int
    minutes_to_close: int | None = None  # to this session's close
    days_held: int = 0
    partials_taken: int = 0
    delta: float | None = None
    theta_per_day: float | None = None  # per share, signed as priced (negative when it costs a long)
    sma20: float | None = None
    trend_flipped: bool = False
    is_long: bool = True
    # What selling one would get now (the bid); the trailing stop is judged on it. None: the mark.
    sell_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ExitAction:
    kind: ExitKind
    quantity: int  # contracts to sell now (0 for hold)
    peak_price: Decimal  # the peak after this minute: store it
    partials_taken: int  # after this action


def _hold(v: PositionView, peak: Decimal, reason: str, rule: str = "exits.hold") -> Decision[ExitAction]:
    return Decision.yes(ExitAction(ExitKind.HOLD, 0, peak, v.partials_taken), reason, rule)


def _close_all(v: PositionView, peak: Decimal, reason: str, rule: str) -> Decision[ExitAction]:
    return Decision.yes(ExitAction(ExitKind.CLOSE_ALL, v.quantity, peak, v.partials_taken), reason, rule)


def trailing_stop(
    entry: Decimal, peak: Decimal, giveback: Decimal, lock_gain: Decimal = Decimal(0)
) -> Decimal:
    """The higher of peak - giveback x (peak - entry) and entry x (1 + lock_gain).

    Seed 000: entry 17.15, peak 40.00 gives 34.2875; seed 003: entry 2.00, peak 4.00 locks at least 3.00.
    """
    return max(peak - giveback * (peak - entry), entry * (1 + lock_gain))


def trail_armed(entry: Decimal, peak: Decimal, cfg: ExitConfig) -> bool:
    """Armed once the peak has gained `trail_activation` over the entry fill (and is above it at all)."""
    return peak > entry and peak >= entry * (1 + cfg.trail_activation)


def partial_quantity(original: int, remaining: int, cumulative_share: Decimal) -> int:
    """Contracts to sell so that `cumulative_share` of the original is sold (half up), keeping one to ride."""
    target_sold = int((original * cumulative_share).to_integral_value(rounding=ROUND_HALF_UP))
    target_sold = min(target_sold, original - 1)
    return max(target_sold - (original - remaining), 0)


def _validate(v: PositionView) -> None:
    if v.quantity <= 0 or v.original_quantity < v.quantity:
        raise DataError(f"exits: quantity {v.quantity} of original {v.original_quantity} is not a position")
    if v.entry_price <= 0:
        raise DataError(f"exits: entry price {v.entry_price} is not positive")
    if v.trade_style not in (DAY_TRADE, SWING_TRADE):
        raise DataError(f"exits: trade style {v.trade_style!r} is not day_trade or swing_trade")


def _underlying_move(v: PositionView) -> float:
    """The underlying's move in the position's favour (up for a long call or a short put)."""
    raw = v.underlying_price / v.underlying_entry - 1.0 if v.underlying_entry > 0 else 0.0
    favour_up = v.is_call == v.is_long
    return raw if favour_up else -raw


def _time_exits(v: PositionView, peak: Decimal, cfg: ExitConfig) -> Decision[ExitAction] | None:
    if v.trade_style == DAY_TRADE:
        if v.minutes_to_close is not None and v.minutes_to_close <= cfg.flat_minutes_before_close:
            return _close_all(
                v, peak, f"day trade flat by the close ({v.minutes_to_close} min left)", "exits.day_close"
            )
    else:
        if v.dte <= cfg.swing_exit_dte:
            return _close_all(
                v, peak, f"{v.dte} DTE: out {cfg.swing_exit_dte} days before expiry", "exits.swing_expiry"
            )
        if v.days_held >= cfg.swing_max_days:
            return _close_all(
                v,
                peak,
                f"swing held {v.days_held} days, the limit is {cfg.swing_max_days}",
                "exits.swing_time",
            )
    return None


def _option_rules(
    v: PositionView, price: Decimal, peak: Decimal, cfg: ExitConfig
) -> Decision[ExitAction] | None:
    pnl = price / v.entry_price - 1
    pnl_txt = f"option {price} vs entry {v.entry_price} ({pnl:+.1%})"
    if pnl <= -cfg.stop_loss:
        return _close_all(
            v, peak, f"stop loss: {pnl_txt} at or below -{cfg.stop_loss:.0%}", "exits.stop_loss"
        )
    if trail_armed(v.entry_price, peak, cfg):
        stop = trailing_stop(v.entry_price, peak, cfg.trail_giveback, cfg.trail_lock_gain)
        bid = v.sell_price if v.sell_price is not None and v.sell_price > 0 else price
        # A gap straight through the stop to below the entry is the stop loss's business, not the
        # trail's: the trail only ever banks a gain.
        if bid <= stop and bid > v.entry_price:
            return _close_all(
                v,
                peak,
                f"trailing stop: bid {bid} at or below {stop} (peak {peak}, entry fill {v.entry_price}, "
                f"armed at +{cfg.trail_activation:.0%}); {pnl_txt}",
                "exits.trailing_stop",
            )
    if pnl >= cfg.profit_target or (cfg.partials and pnl >= cfg.partial_first_gain):
        if cfg.partials:
            levels = (
                (cfg.partial_first_gain, cfg.partial_first_share),
                (cfg.partial_second_gain, cfg.partial_first_share + cfg.partial_second_share),
            )
            reached = sum(1 for gain, _ in levels if pnl >= gain)
            if reached > v.partials_taken:
                cumulative = levels[reached - 1][1]
                qty = partial_quantity(v.original_quantity, v.quantity, cumulative)
                if qty > 0:
                    reason = (
                        f"partial exit {reached}: {pnl_txt}; sell {qty} of {v.quantity} so "
                        f"{cumulative:.0%} of {v.original_quantity} is sold; the rest rides the trailing stop"
                    )
                    action = ExitAction(ExitKind.CLOSE, qty, peak, reached)
                    return Decision.yes(action, reason, "exits.partial", sold=qty)
                if v.partials_taken == 0 and pnl >= cfg.profit_target:
                    return _close_all(
                        v,
                        peak,
                        f"profit target: {pnl_txt}; {v.quantity} contract(s) too few to split",
                        "exits.profit_target",
                    )
        elif pnl >= cfg.profit_target:
            return _close_all(
                v,
                peak,
                f"profit target: {pnl_txt} at or above +{cfg.profit_target:.0%}",
                "exits.profit_target",
            )
    if v.trade_style == SWING_TRADE:
        if (
            v.theta_per_day is not None
            and price > 0
            and abs(v.theta_per_day) > cfg.theta_max_share * float(price)
        ):
            return _close_all(
                v,
                peak,
                f"theta {v.theta_per_day:+.3f}/day is over {cfg.theta_max_share:.0%} of the option's {price}",
                "exits.theta_share",
            )
        if v.dte < cfg.theta_protect_dte and pnl <= 0:
            return _close_all(
                v,
                peak,
                f"theta protection: {v.dte} DTE and not profitable ({pnl_txt})",
                "exits.theta_protect",
            )
    return None


def _underlying_rules(
    v: PositionView, price: Decimal | None, peak: Decimal, cfg: ExitConfig, prefix: str
) -> Decision[ExitAction] | None:
    move = _underlying_move(v)
    move_txt = (
        f"underlying {v.underlying_price:.2f} vs entry {v.underlying_entry:.2f} ({move:+.2%} in favour)"
    )
    favour_up = v.is_call == v.is_long
    if cfg.sma20_break and v.sma20 is not None:
        broke = v.underlying_price < v.sma20 if favour_up else v.underlying_price > v.sma20
        if broke:
            side = "below" if favour_up else "above"
            return _close_all(
                v, peak, f"{prefix}underlying broke {side} SMA20 {v.sma20:.2f}", "exits.sma20_break"
            )
    if move <= -cfg.underlying_stop:
        return _close_all(
            v, peak, f"{prefix}{move_txt}: {cfg.underlying_stop:.1%} against", "exits.underlying_stop"
        )
    if move >= cfg.underlying_target:
        if price is None:
            return _close_all(
                v,
                peak,
                f"{prefix}{move_txt}: target {cfg.underlying_target:.1%} reached",
                "exits.underlying_target",
            )
        gain = float(price / v.entry_price - 1)
        if gain >= cfg.underlying_target_min_option_gain:
            return _close_all(
                v,
                peak,
                f"{prefix}{move_txt} and option {gain:+.1%}: target reached",
                "exits.underlying_target",
            )
    return None


def evaluate_exit(v: PositionView, config: ExitConfig | None = None) -> Decision[ExitAction]:
    """What to do with one open position this minute: hold, close it all, or close some contracts."""
    cfg = config or ExitConfig()
    _validate(v)
    price = v.option_price if v.option_price is not None and v.option_price > 0 else None
    peak = max(v.peak_price, price) if price is not None else v.peak_price

    timed = _time_exits(v, peak, cfg)
    if timed is not None:
        return timed
    if price is None:
        prefix = "no option quote, using the underlying: "
        decided = _underlying_rules(v, None, peak, cfg, prefix)
    elif cfg.policy == "underlying":
        prefix = ""
        decided = _underlying_rules(v, price, peak, cfg, prefix)
    else:
        prefix = ""
        decided = _option_rules(v, price, peak, cfg)
    if decided is not None:
        return decided

    if v.is_long and v.delta is not None and abs(v.delta) >= cfg.delta_take_profit:
        return _close_all(
            v,
            peak,
            f"{prefix}delta {v.delta:+.2f} past {cfg.delta_take_profit:.2f}: it trades like the stock",
            "exits.delta",
        )
    if cfg.exit_on_trend_flip and v.trend_flipped:
        return _close_all(v, peak, f"{prefix}trend flipped against the position", "exits.trend_flip")
    gain = float(price / v.entry_price - 1) if price is not None else _underlying_move(v)
    if (
        v.trade_style == DAY_TRADE
        and v.partials_taken == 0
        and v.minutes_held >= cfg.follow_through_minutes
        and gain <= cfg.follow_through_gain
    ):
        return _close_all(
            v,
            peak,
            f"{prefix}no follow-through after {v.minutes_held} min ({gain:+.1%})",
            "exits.follow_through",
        )
    if price is None:
        return _hold(v, peak, f"{prefix}hold ({_underlying_move(v):+.2%} in favour)", "exits.hold_underlying")
    stop_txt = ""
    if trail_armed(v.entry_price, peak, cfg):
        stop = trailing_stop(v.entry_price, peak, cfg.trail_giveback, cfg.trail_lock_gain)
        stop_txt = f", trailing stop {stop}"
    return _hold(v, peak, f"hold: option {price} vs entry {v.entry_price} ({gain:+.1%}){stop_txt}")


@dataclass(frozen=True, slots=True)
class RollProposal:
    kind: str  # "roll_up" (a winning long to a further strike) | "roll_out" (a short to a later expiry)
    quantity: int


def propose_roll(v: PositionView, config: ExitConfig | None = None) -> Decision[RollProposal]:
    """Seed 003's rolls: bank a winning long by rolling it up; roll a short at 21 DTE if still at risk."""
    cfg = config or ExitConfig()
    _validate(v)
    if v.option_price is None or v.option_price <= 0:
        return Decision.no("no option quote to judge a roll", "exits.roll_no_quote")
    pnl = v.option_price / v.entry_price - 1
    if v.is_long:
        if pnl >= cfg.roll_long_gain:
            direction = "up" if v.is_call else "down"
            return Decision.yes(
                RollProposal("roll_up", v.quantity),
                f"long up {pnl:+.0%} (>= {cfg.roll_long_gain:.0%}): "
                f"roll the strike {direction} to bank the gain",
                "exits.roll_up",
            )
        return Decision.no(
            f"long at {pnl:+.0%}: below the {cfg.roll_long_gain:.0%} roll gain", "exits.roll_none"
        )
    # For a short the entry is the credit: a price above it is a loss, the position is at risk.
    if v.dte <= cfg.roll_short_dte and v.option_price > v.entry_price:
        return Decision.yes(
            RollProposal("roll_out", v.quantity),
            f"short at {v.dte} DTE and losing ({v.option_price} vs credit {v.entry_price}): roll out",
            "exits.roll_out",
        )
    return Decision.no(f"short at {v.dte} DTE, not at risk or not yet due", "exits.roll_none")


def entry_passes_exit_rules(
    trade_style: str, dte: int, price: Decimal, theta_per_day: float | None, config: ExitConfig | None = None
) -> Decision[float]:
    """Refuse an entry the theta rule would close at once: buying it would only pay the spread twice."""
    cfg = config or ExitConfig()
    if trade_style != "swing_trade" or theta_per_day is None or price <= 0:
        return Decision.yes(0.0, "theta rule does not apply", "exits.entry_theta")
    share = abs(theta_per_day) / float(price)
    if share > cfg.theta_max_share:
        return Decision.no(
            f"theta {theta_per_day:.3f}/day is {share:.1%} of the premium {price}, over the exit rule's "
            f"{cfg.theta_max_share:.0%}: it would be sold at once",
            "exits.entry_theta",
            theta_share=share,
            dte=float(dte),
        )
    return Decision.yes(share, f"theta {share:.1%} of premium per day", "exits.entry_theta")
