"""The position manager's rules (seeds 000, 003) for one single-leg position, as registered pure rules.

Default policy "option" works on the option's own price, measured from the average entry fill: stop
-25%; the trailing stop arms once the peak is +100% over the entry (seed 003: "move stop to +50% after
+100% profit") and then sits at the higher of entry + 50% and peak - 0.25 x (peak - entry) (seed 000);
it is checked on the bid (what a sale would get) and never sells below the entry fill; partial exits
50% at +50% and to 75% sold at +75% (the rest rides to the trailing stop), Greeks and theta protection.
Policy "underlying" is seed 003's structure-based exit. With no option quote, the underlying rules decide
and the reason says so. Which rules a position gets, in which order, is `ExitConfig.rule_sets`; the
first rule that decides wins, else HOLD.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from optionpilot.core.errors import DataError
from optionpilot.decisions.exits.actions import ExitAction, ExitSignal
from optionpilot.decisions.exits.config import ExitConfig
from optionpilot.decisions.exits.registry import REGISTRY, select_rules
from optionpilot.domain.recommendations import Decision

DAY_TRADE = "day_trade"
SWING_TRADE = "swing_trade"
SINGLE = "single"  # the strategy key of a single-leg option position in `rule_sets`


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
    strategy: str = SINGLE
    # Volatility (seed 003's conditional exits): implied vol at entry and now, the underlying's realized
    # vol (annualized), its short-window return in sigmas of that vol (signed, up positive), and the DTE
    # the option had at entry (the horizon of its expected move).
    entry_iv: float | None = None
    iv: float | None = None
    realized_vol: float | None = None
    short_move_sigma: float | None = None
    entry_dte: int | None = None
    # Seed 004's absolute stop (`absolute.py`): the most the position may lose, in currency; None: off.
    loss_limit: float | None = None
    multiplier: int = 100


@dataclass(frozen=True, slots=True)
class SingleLegLook:
    """One position at one look, as every single-leg rule sees it."""

    v: PositionView
    cfg: ExitConfig
    price: Decimal | None  # the option's own price; None when it has no quote
    peak: Decimal  # the peak after this look
    use_underlying: bool  # the underlying rules decide (no quote, or policy "underlying")
    prefix: str  # said before every reason when the underlying stands in for a missing quote

    @property
    def gain(self) -> float:
        """The option's gain over the entry fill, or the underlying's move in favour without a quote."""
        return (
            float(self.price / self.v.entry_price - 1) if self.price is not None else underlying_move(self.v)
        )


def _hold(look: SingleLegLook, reason: str, rule: str = "exits.hold") -> Decision[ExitSignal]:
    v = look.v
    return Decision.yes(
        ExitSignal(ExitAction.HOLD, 0, peak_price=look.peak, partials_taken=v.partials_taken), reason, rule
    )


def close_all(look: SingleLegLook, reason: str, rule: str) -> Decision[ExitSignal]:
    v = look.v
    signal = ExitSignal(ExitAction.CLOSE, v.quantity, peak_price=look.peak, partials_taken=v.partials_taken)
    return Decision.yes(signal, reason, rule)


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


def validate_view(v: PositionView) -> None:
    if v.quantity <= 0 or v.original_quantity < v.quantity:
        raise DataError(f"exits: quantity {v.quantity} of original {v.original_quantity} is not a position")
    if v.entry_price <= 0:
        raise DataError(f"exits: entry price {v.entry_price} is not positive")
    if v.trade_style not in (DAY_TRADE, SWING_TRADE):
        raise DataError(f"exits: trade style {v.trade_style!r} is not day_trade or swing_trade")


def favours_up(v: PositionView) -> bool:
    """A rise of the underlying helps a long call or a short put."""
    return v.is_call == v.is_long


def underlying_move(v: PositionView) -> float:
    """The underlying's move in the position's favour (up for a long call or a short put)."""
    raw = v.underlying_price / v.underlying_entry - 1.0 if v.underlying_entry > 0 else 0.0
    return raw if favours_up(v) else -raw


# -- time (seed 003) -------------------------------------------------------------------------------------


@REGISTRY.single_leg("exits.day_close")
def day_close(look: SingleLegLook) -> Decision[ExitSignal] | None:
    left = look.v.minutes_to_close
    if left is not None and left <= look.cfg.flat_minutes_before_close:
        return close_all(look, f"day trade flat by the close ({left} min left)", "exits.day_close")
    return None


@REGISTRY.single_leg("exits.swing_expiry")
def swing_expiry(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if v.dte <= cfg.swing_exit_dte:
        return close_all(
            look, f"{v.dte} DTE: out {cfg.swing_exit_dte} days before expiry", "exits.swing_expiry"
        )
    return None


@REGISTRY.single_leg("exits.swing_time")
def swing_time(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if v.days_held >= cfg.swing_max_days:
        why = f"swing held {v.days_held} days, the limit is {cfg.swing_max_days}"
        return close_all(look, why, "exits.swing_time")
    return None


# -- the option's own price (seed 000) -------------------------------------------------------------------


def _pnl_text(look: SingleLegLook, price: Decimal) -> str:
    pnl = price / look.v.entry_price - 1
    return f"option {price} vs entry {look.v.entry_price} ({pnl:+.1%})"


@REGISTRY.single_leg("exits.stop_loss")
def stop_loss(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg, price = look.v, look.cfg, look.price
    if look.use_underlying or price is None:
        return None
    if price / v.entry_price - 1 <= -cfg.stop_loss:
        why = f"stop loss: {_pnl_text(look, price)} at or below -{cfg.stop_loss:.0%}"
        return close_all(look, why, "exits.stop_loss")
    return None


@REGISTRY.single_leg("exits.trailing_stop")
def trailing(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg, price, peak = look.v, look.cfg, look.price, look.peak
    if look.use_underlying or price is None or not trail_armed(v.entry_price, peak, cfg):
        return None
    stop = trailing_stop(v.entry_price, peak, cfg.trail_giveback, cfg.trail_lock_gain)
    bid = v.sell_price if v.sell_price is not None and v.sell_price > 0 else price
    # A gap straight through the stop to below the entry is the stop loss's business, not the
    # trail's: the trail only ever banks a gain.
    if bid <= stop and bid > v.entry_price:
        why = (
            f"trailing stop: bid {bid} at or below {stop} (peak {peak}, entry fill {v.entry_price}, "
            f"armed at +{cfg.trail_activation:.0%}); {_pnl_text(look, price)}"
        )
        return close_all(look, why, "exits.trailing_stop")
    return None


@REGISTRY.single_leg("exits.profit_target")
def profit_target(look: SingleLegLook) -> Decision[ExitSignal] | None:
    """The profit target, as seed 003's partial exits when `partials` (the decision's rule says which)."""
    v, cfg, price = look.v, look.cfg, look.price
    if look.use_underlying or price is None:
        return None
    pnl = price / v.entry_price - 1
    pnl_txt = _pnl_text(look, price)
    if not cfg.partials:
        if pnl >= cfg.profit_target:
            why = f"profit target: {pnl_txt} at or above +{cfg.profit_target:.0%}"
            return close_all(look, why, "exits.profit_target")
        return None
    if pnl < cfg.partial_first_gain and pnl < cfg.profit_target:
        return None
    levels = (
        (cfg.partial_first_gain, cfg.partial_first_share),
        (cfg.partial_second_gain, cfg.partial_first_share + cfg.partial_second_share),
    )
    reached = sum(1 for gain, _ in levels if pnl >= gain)
    if reached <= v.partials_taken:
        return None
    cumulative = levels[reached - 1][1]
    qty = partial_quantity(v.original_quantity, v.quantity, cumulative)
    if qty > 0:
        reason = (
            f"partial exit {reached}: {pnl_txt}; sell {qty} of {v.quantity} so "
            f"{cumulative:.0%} of {v.original_quantity} is sold; the rest rides the trailing stop"
        )
        signal = ExitSignal(ExitAction.PARTIAL, qty, peak_price=look.peak, partials_taken=reached)
        return Decision.yes(signal, reason, "exits.partial", sold=qty)
    if v.partials_taken == 0 and pnl >= cfg.profit_target:
        why = f"profit target: {pnl_txt}; {v.quantity} contract(s) too few to split"
        return close_all(look, why, "exits.profit_target")
    return None


@REGISTRY.single_leg("exits.theta_share")
def theta_share(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg, price = look.v, look.cfg, look.price
    if look.use_underlying or price is None or v.theta_per_day is None or price <= 0:
        return None
    if abs(v.theta_per_day) > cfg.theta_max_share * float(price):
        why = f"theta {v.theta_per_day:+.3f}/day is over {cfg.theta_max_share:.0%} of the option's {price}"
        return close_all(look, why, "exits.theta_share")
    return None


@REGISTRY.single_leg("exits.theta_protect")
def theta_protect(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg, price = look.v, look.cfg, look.price
    if look.use_underlying or price is None:
        return None
    if v.dte < cfg.theta_protect_dte and price <= v.entry_price:
        why = f"theta protection: {v.dte} DTE and not profitable ({_pnl_text(look, price)})"
        return close_all(look, why, "exits.theta_protect")
    return None


# -- the underlying's structure (seed 003) ---------------------------------------------------------------


def _move_text(v: PositionView) -> str:
    move = underlying_move(v)
    return f"underlying {v.underlying_price:.2f} vs entry {v.underlying_entry:.2f} ({move:+.2%} in favour)"


@REGISTRY.single_leg("exits.sma20_break")
def sma20_break(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v = look.v
    if not look.use_underlying or not look.cfg.sma20_break or v.sma20 is None:
        return None
    up = favours_up(v)
    if (v.underlying_price < v.sma20) if up else (v.underlying_price > v.sma20):
        side = "below" if up else "above"
        return close_all(
            look, f"{look.prefix}underlying broke {side} SMA20 {v.sma20:.2f}", "exits.sma20_break"
        )
    return None


@REGISTRY.single_leg("exits.underlying_stop")
def underlying_stop(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if not look.use_underlying or underlying_move(v) > -cfg.underlying_stop:
        return None
    why = f"{look.prefix}{_move_text(v)}: {cfg.underlying_stop:.1%} against"
    return close_all(look, why, "exits.underlying_stop")


@REGISTRY.single_leg("exits.underlying_target")
def underlying_target(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg, price = look.v, look.cfg, look.price
    if not look.use_underlying or underlying_move(v) < cfg.underlying_target:
        return None
    if price is None:
        why = f"{look.prefix}{_move_text(v)}: target {cfg.underlying_target:.1%} reached"
        return close_all(look, why, "exits.underlying_target")
    gain = float(price / v.entry_price - 1)
    if gain >= cfg.underlying_target_min_option_gain:
        why = f"{look.prefix}{_move_text(v)} and option {gain:+.1%}: target reached"
        return close_all(look, why, "exits.underlying_target")
    return None


# -- Greeks, trend and follow-through (seeds 000, 003) ---------------------------------------------------


@REGISTRY.single_leg("exits.delta")
def delta_take(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if v.is_long and v.delta is not None and abs(v.delta) >= cfg.delta_take_profit:
        why = f"{look.prefix}delta {v.delta:+.2f} past {cfg.delta_take_profit:.2f}: it trades like the stock"
        return close_all(look, why, "exits.delta")
    return None


@REGISTRY.single_leg("exits.trend_flip")
def trend_flip(look: SingleLegLook) -> Decision[ExitSignal] | None:
    if look.cfg.exit_on_trend_flip and look.v.trend_flipped:
        return close_all(look, f"{look.prefix}trend flipped against the position", "exits.trend_flip")
    return None


@REGISTRY.single_leg("exits.follow_through")
def follow_through(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    gain = look.gain
    if (
        v.partials_taken == 0
        and v.minutes_held >= cfg.follow_through_minutes
        and gain <= cfg.follow_through_gain
    ):
        why = f"{look.prefix}no follow-through after {v.minutes_held} min ({gain:+.1%})"
        return close_all(look, why, "exits.follow_through")
    return None


# -- the evaluator ---------------------------------------------------------------------------------------


def look_at(v: PositionView, cfg: ExitConfig) -> SingleLegLook:
    price = v.option_price if v.option_price is not None and v.option_price > 0 else None
    peak = max(v.peak_price, price) if price is not None else v.peak_price
    no_quote = price is None
    prefix = "no option quote, using the underlying: " if no_quote else ""
    return SingleLegLook(v, cfg, price, peak, no_quote or cfg.policy == "underlying", prefix)


def evaluate_exit(v: PositionView, config: ExitConfig | None = None) -> Decision[ExitSignal]:
    """What to do with one open position this minute: hold, close it all, or close some contracts."""
    cfg = config or ExitConfig()
    validate_view(v)
    look = look_at(v, cfg)
    for name in select_rules(cfg.rule_sets, v.strategy, v.trade_style):
        decided = REGISTRY.single(name)(look)
        if decided is not None:
            return decided
    if look.price is None:
        return _hold(
            look, f"{look.prefix}hold ({underlying_move(v):+.2%} in favour)", "exits.hold_underlying"
        )
    stop_txt = ""
    if trail_armed(v.entry_price, look.peak, cfg):
        stop = trailing_stop(v.entry_price, look.peak, cfg.trail_giveback, cfg.trail_lock_gain)
        stop_txt = f", trailing stop {stop}"
    return _hold(look, f"hold: option {look.price} vs entry {v.entry_price} ({look.gain:+.1%}){stop_txt}")


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
