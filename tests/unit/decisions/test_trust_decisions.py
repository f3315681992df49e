"""Issue 12's decision fixes on the pure functions: stock side, risk for stock, the trail ladder, the
Kelly floor."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from optionpilot.decisions.exits import ExitAction, ExitConfig, PositionView, evaluate_exit, trailing_stop
from optionpilot.decisions.kelly import ClosedTrade, kelly_from_trades
from optionpilot.decisions.risk import PortfolioState, check_risk, stock_side
from optionpilot.decisions.sizing import SizingConfig, size_option
from optionpilot.decisions.tiers import tier_for

D = Decimal
SWING = PositionView(
    trade_style="swing_trade",
    is_call=True,
    entry_price=D("2.00"),
    peak_price=D("2.00"),
    option_price=D("2.00"),
    underlying_price=100.0,
    underlying_entry=100.0,
    quantity=3,
    original_quantity=10,
    dte=20,
    minutes_held=600,
    partials_taken=2,  # the ladder is done: the rest rides the trail
)


def view(**kw: Any) -> PositionView:
    return dataclasses.replace(SWING, **kw)


# -- 1. a bearish signal never buys the stock ----------------------------------------------------------


def test_bearish_stock_is_a_short_only_where_allowed() -> None:
    long = stock_side("bullish", allow_short=False)
    assert long.value == "long" and long.rule == "risk.stock_long"
    no = stock_side("bearish", allow_short=False)
    assert not no.ok and no.rule == "risk.no_short_stock" and "may not short" in no.reason
    short = stock_side("bearish", allow_short=True)
    assert short.value == "short" and short.rule == "risk.stock_short"
    assert not stock_side("sideways", allow_short=True).ok


# -- 5. stock entries take the same limits --------------------------------------------------------------


def test_a_stock_trade_takes_a_day_slot_and_the_deployed_cap() -> None:
    full = PortfolioState(equity=D(100_000), deployed=D(0), open_day_trades=5)
    d = check_risk(full, "stock", D(1_000))
    assert not d.ok and d.rule == "risk.day_positions"
    state = PortfolioState(equity=D(100_000), deployed=D(65_000), open_day_trades=1)
    d = check_risk(state, "stock", D(6_000))
    assert not d.ok and d.rule == "risk.deployed" and "70%" in d.reason
    assert check_risk(state, "stock", D(4_000)).ok


# -- 4. the trailing stop: armed at +100%, locks +50%, judged on the bid, never below the entry -----------


def test_the_trail_stays_off_until_the_peak_doubles_the_entry() -> None:
    # Peak +95%, now +45% on the bid: before issue 12 the trail (armed at any gain) sold here.
    d = evaluate_exit(view(peak_price=D("3.90"), option_price=D("2.95"), sell_price=D("2.90")))
    assert d.value is not None and d.value.action is ExitAction.HOLD and d.rule == "exits.hold"


def test_seed_003_ladder_after_plus_100_the_stop_is_at_least_plus_50() -> None:
    # Seed 000's giveback: entry 17.15, peak 40.00 gives 34.2875 (above the +50% floor of 25.725).
    assert trailing_stop(D("17.15"), D("40.00"), D("0.25"), D("0.50")) == D("34.2875")
    # Seed 003: entry 2.00, peak 4.00 (+100%): the stop is at least 3.00 (+50%).
    assert trailing_stop(D("2.00"), D("4.00"), D("0.90"), D("0.50")) == D("3.00")
    cfg = ExitConfig(trail_giveback=D("0.90"))
    d = evaluate_exit(view(peak_price=D("4.00"), option_price=D("3.05"), sell_price=D("2.99")), cfg)
    assert d.value is not None and d.value.action is ExitAction.CLOSE and d.rule == "exits.trailing_stop"
    assert "bid 2.99" in d.reason and "entry fill 2.00" in d.reason


def test_the_trail_is_judged_on_the_bid_not_the_mid() -> None:
    # Entry 2.00, peak 4.00: the stop is 4.00 - 0.25 x 2.00 = 3.50.
    armed = view(peak_price=D("4.00"), option_price=D("3.60"))
    hold = evaluate_exit(dataclasses.replace(armed, sell_price=D("3.55")))
    assert hold.value is not None and hold.value.action is ExitAction.HOLD
    sold = evaluate_exit(dataclasses.replace(armed, sell_price=D("3.45")))  # the mid is still above
    assert sold.rule == "exits.trailing_stop"


def test_the_trail_never_sells_below_the_entry_fill() -> None:
    # A gap from a +100% peak to a bid under the entry: not a trailing-stop exit.
    d = evaluate_exit(view(peak_price=D("4.00"), option_price=D("1.95"), sell_price=D("1.90")))
    assert d.rule != "exits.trailing_stop"
    assert d.value is not None and d.value.action is ExitAction.HOLD
    # Past the stop loss it is the stop loss that sells, and says so.
    d = evaluate_exit(view(peak_price=D("4.00"), option_price=D("1.45"), sell_price=D("1.40")))
    assert d.rule == "exits.stop_loss"


# -- 3. Kelly <= 0 scales the size down to a floor, it never blocks --------------------------------------


def _losses(n: int, now: datetime) -> list[ClosedTrade]:
    return [ClosedTrade(now - timedelta(hours=i + 1), D(-50), D(200)) for i in range(n)]


def test_a_losing_streak_floors_the_size_and_says_so() -> None:
    now = datetime(2024, 6, 3, 15, tzinfo=UTC)
    kelly = kelly_from_trades(_losses(20, now), now)
    assert kelly.value == 0 and kelly.rule == "kelly.no_edge"
    large = tier_for(D(121_000))
    d = size_option(D(121_000), D("1.00"), 100, "swing_trade", large, kelly_share=kelly.value)
    assert d.value is not None and d.rule == "sizing.kelly_floor"
    # The tier alone buys min(10% of 121,000 / 100, cap); the floor is 25% of that, at least one.
    tier_only = size_option(D(121_000), D("1.00"), 100, "swing_trade", large)
    assert tier_only.value is not None
    assert d.value.quantity == max(1, tier_only.value.quantity // 4)
    assert "no edge" in d.reason and "floored at 25%" in d.reason


def test_the_floor_is_configured_and_a_small_positive_kelly_does_not_go_below_it() -> None:
    large = tier_for(D(182_000))
    cfg = SizingConfig(kelly_floor_share=D("0.5"))
    d = size_option(D(182_000), D("2.50"), 100, "day_trade", large, kelly_share=D(0), config=cfg)
    assert d.value is not None and d.value.quantity == 3  # half of the tier's 7
    tiny = size_option(D(182_000), D("2.50"), 100, "day_trade", large, kelly_share=D("0.0001"))
    assert tiny.value is not None and tiny.value.quantity == 1 and tiny.rule == "sizing.kelly_floor"
    tiny_acct = tier_for(D(1_000))
    one = size_option(D(1_000), D("4.00"), 100, "day_trade", tiny_acct, kelly_share=D(-0.3))
    assert one.value is not None and one.value.quantity == 1
