"""The position manager stage on a scripted market: a winning long is rolled up, a loser is stopped."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.calendars import Market, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, IdMaker, PositionId
from optionpilot.domain.instruments import OptionContract, OptionRight, Underlying
from optionpilot.domain.orders import OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.exits.stage import ExitStage
from optionpilot.engine.journal import Journal
from optionpilot.engine.marks import Marker
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.engine.rules import Rules
from optionpilot.engine.ticker import Tick
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.signals.features import Features
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY")
A = AccountId("a")
EXPIRY = date(2024, 6, 21)
C530 = OptionContract.for_underlying(SPY, EXPIRY, Decimal(530), OptionRight.CALL)
C535 = OptionContract.for_underlying(SPY, EXPIRY, Decimal(535), OptionRight.CALL)
MIN = timedelta(minutes=1)


class Sink:
    def start_run(self, info: RunInfo) -> None: ...
    def record(self, records: TickRecords) -> None: ...
    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


def world() -> tuple[StaticMarket, SimulatedClock, AccountRuntime, ExitStage, Tick]:
    session = calendar_for(Market.US).session(date(2024, 6, 3))
    clock = SimulatedClock(session.open + 60 * MIN)
    market = StaticMarket(clock, [SPY])
    market.set_spot("SPY", 531.0)
    ids = IdMaker("t")
    broker = SimulatedBroker(A, market=market, clock=clock, starting_cash=Decimal(10_000), ids=ids)
    book = AccountBook(A, "USD", Decimal(10_000), clock.now())
    journal = Journal(Sink())
    orders = OrderManager(A, broker, book, ids, clock, journal)
    account = AccountRuntime(A, "a", Market.US, "USD", Decimal(10_000), broker, book, orders)
    tick = Tick(clock.now(), clock.now() - MIN, session, 60, False, False)
    return market, clock, account, ExitStage(market, Marker(market), Rules()), tick


def open_long(market: StaticMarket, clock: SimulatedClock, account: AccountRuntime, price: str) -> Position:
    position = Position(PositionId("p1"), A, "SPY", "long_call/swing_trade", clock.now(), "test entry")
    position.meta.update({"trade_style": "swing_trade", "direction": "bullish", "entry_price": price})
    account.book.add_position(position)
    market.set_quote(C530, str(Decimal(price) - Decimal("0.05")), price)
    account.orders.place(
        (OrderLeg(C530, Side.BUY, 1, PositionEffect.OPEN),),
        2,
        position_id=position.position_id,
        purpose="entry",
        reason="test",
        order_type=OrderType.MARKET,
    )
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, str(Decimal(price) - Decimal("0.05")), price)
    account.orders.process_events()
    assert position.legs[C530.key].quantity == 2
    return position


def test_a_long_past_the_roll_gain_is_rolled_to_the_next_strike() -> None:
    market, clock, account, stage, _ = world()
    position = open_long(market, clock, account, "2.00")
    position.partials_taken = 2  # the ladder is done: the rest rides
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "4.40", "4.50")  # +122% on the mid
    market.set_quote(C535, "2.00", "2.10")
    tick = Tick(
        clock.now(), clock.now() - MIN, calendar_for(Market.US).session(date(2024, 6, 3)), 62, False, False
    )
    stage.run(tick, account, {})
    [roll] = account.orders.open_orders()
    assert roll.purpose == "roll" and [leg.instrument for leg in roll.legs] == [C530, C535]
    assert "exits.roll_up" in roll.reason
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "4.40", "4.50")
    market.set_quote(C535, "2.00", "2.10")
    account.orders.process_events()
    assert position.legs[C530.key].quantity == 0 and position.legs[C535.key].quantity == 2
    assert position.realized_pnl == Decimal("480")  # sold 2 at 4.40 bought at 2.00
    assert position.meta["entry_price"] == "2.10" and position.is_open


def test_a_loser_is_stopped_on_its_own_quote() -> None:
    market, clock, account, stage, tick = world()
    open_long(market, clock, account, "2.00")
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "1.40", "1.46")  # -28%
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    stage.run(tick, account, {})
    [exit_order] = account.orders.open_orders()
    assert exit_order.purpose == "exit" and exit_order.reason.startswith("exits.stop_loss")


def test_scaling_in_adds_the_second_half_once_the_first_is_confirmed() -> None:
    from optionpilot.decisions.sizing import SizingConfig

    market, clock, account, _, tick = world()
    stage = ExitStage(market, Marker(market), Rules(sizing=SizingConfig(scale_in=True)))
    position = open_long(market, clock, account, "2.00")
    position.meta["scale_in_add_on"] = "2"
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "2.08", "2.12")  # +5%: not yet
    stage.run(Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False), account, {})
    assert not account.orders.open_orders()
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "2.25", "2.29")  # +13.5%: confirmed
    stage.run(Tick(clock.now(), clock.now() - MIN, tick.session, 63, False, False), account, {})
    [add] = account.orders.open_orders()
    assert add.purpose == "scale_in" and add.quantity == 2 and add.legs[0].side is Side.BUY
    assert "scale_in_add_on" not in position.meta and position.meta["original_quantity"] == "4"


def _features(trend_state: int, daily: int, clock: SimulatedClock) -> Features:
    return Features(
        symbol="SPY",
        ts=clock.now(),
        session=date(2024, 6, 3),
        bars=200,
        close=531.0,
        volume=1000.0,
        sma20=531.5,
        sma50=532.0,
        distance_sma20=-0.001,
        sma20_slope=-0.003,
        volume_ratio=1.0,
        recent_volume_ratios=(1.0, 1.0, 1.0),
        ret_5m=-0.001,
        ret_15m=-0.002,
        atr=0.3,
        realized_vol=0.2,
        trend_state=trend_state,
        sma20_crosses=0,
        daily_trend=daily,
    )


def test_gains_are_measured_from_the_entry_fill_not_the_limit() -> None:
    market, clock, account, stage, tick = world()
    position = open_long(market, clock, account, "2.00")  # filled at 2.00
    position.meta["entry_price"] = "2.60"  # the limit asked for: never what the rules measure from
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "2.95", "3.05")  # +50% on the fill, +15% on the limit
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    stage.run(tick, account, {})
    [exit_order] = account.orders.open_orders()
    assert exit_order.purpose == "partial_exit" and exit_order.reason.startswith("exits.partial")
    assert "vs entry 2" in exit_order.reason and "+50.0%" in exit_order.reason


def test_a_swing_follows_the_daily_trend_not_a_one_minute_flip() -> None:
    market, clock, account, stage, tick = world()
    open_long(market, clock, account, "2.00")
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "1.98", "2.02")
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    stage.run(tick, account, {"SPY": _features(-1, 1, clock)})  # 1-minute down, daily up: hold
    assert account.orders.open_orders() == []
    stage.run(tick, account, {"SPY": _features(1, -1, clock)})  # the daily trend turned: out
    [exit_order] = account.orders.open_orders()
    assert exit_order.reason.startswith("exits.trend_flip")


def _stage_with(market: StaticMarket, *rules: str) -> ExitStage:
    from optionpilot.decisions.exits import ExitConfig

    cfg = ExitConfig(rule_sets={"*/swing_trade": rules})
    return ExitStage(market, Marker(market), Rules(exits=cfg))


def test_the_stage_closes_on_a_vol_spike_against_the_position() -> None:
    import dataclasses

    market, clock, account, _, tick = world()
    stage = _stage_with(market, "exits.vol_spike")
    open_long(market, clock, account, "2.00")
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "1.95", "2.05")
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    # 5-minute sigma of a 20% vol: 0.2 x sqrt(5 / 98,280) = 0.45%; -1.5% is 3.3 sigma against a long call.
    calm = dataclasses.replace(_features(1, 1, clock), ret_5m=-0.004)
    stage.run(tick, account, {"SPY": calm})
    assert account.orders.open_orders() == []
    spike = dataclasses.replace(calm, ret_5m=-0.015)
    stage.run(tick, account, {"SPY": spike})
    [exit_order] = account.orders.open_orders()
    assert exit_order.purpose == "exit" and exit_order.reason.startswith("exits.vol_spike")


def test_the_stage_takes_profit_at_the_expected_move_from_the_entry_iv() -> None:
    market, clock, account, _, tick = world()
    stage = _stage_with(market, "exits.expected_move")
    position = open_long(market, clock, account, "2.00")
    position.meta["underlying_entry"] = "531.0"
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "2.15", "2.25")
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    stage.run(tick, account, {})
    assert account.orders.open_orders() == []
    entry_iv = float(position.meta["entry_iv"])  # recorded at the first look, from the entry fill
    assert 0.01 < entry_iv < 0.2
    # 14 days (18 DTE at entry, capped) at the entry IV: 60% of S x IV x sqrt(14 / 365), and a bit more.
    move = 0.61 * 531.0 * entry_iv * (14 / 365) ** 0.5
    market.set_spot("SPY", 531.0 + move)
    market.set_quote(C530, "3.40", "3.50")
    stage.run(tick, account, {})
    [exit_order] = account.orders.open_orders()
    assert exit_order.purpose == "exit" and exit_order.reason.startswith("exits.expected_move")


def test_the_stage_sells_a_long_whose_iv_is_rich_against_realized_vol() -> None:
    import dataclasses

    market, clock, account, _, tick = world()
    stage = _stage_with(market, "exits.iv_rich")
    open_long(market, clock, account, "2.00")
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "2.15", "2.25")  # +10%, its IV several times a 1% realized vol
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    stage.run(tick, account, {"SPY": dataclasses.replace(_features(1, 1, clock), realized_vol=0.5)})
    assert account.orders.open_orders() == []
    stage.run(tick, account, {"SPY": dataclasses.replace(_features(1, 1, clock), realized_vol=0.01)})
    [exit_order] = account.orders.open_orders()
    assert exit_order.purpose == "exit" and exit_order.reason.startswith("exits.iv_rich")


def test_alert_only_reports_the_exit_without_an_order_or_a_change() -> None:
    market, clock, account, stage, tick = world()
    position = open_long(market, clock, account, "2.00")
    clock.advance_to(clock.now() + MIN)
    market.set_quote(C530, "1.40", "1.46")  # -28%
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    peak = position.peak_value
    [row] = stage.run(tick, account, {}, act=False)
    assert (row.action.value, row.rule, row.acted) == ("CLOSE", "exits.stop_loss", False)
    assert row.units == 2 and round(row.capture, 3) == -0.285 and round(row.pnl, 2) == -114.0
    assert account.orders.open_orders() == [] and position.peak_value == peak
    [row] = stage.run(tick, account, {})
    assert row.acted and account.orders.open_orders()[0].reason.startswith("exits.stop_loss")


def test_the_stage_stops_a_stock_position_with_the_registered_stock_rules() -> None:
    from optionpilot.core.ids import ClientOrderId, FillId
    from optionpilot.domain.fills import Fill
    from optionpilot.domain.instruments import Stock
    from optionpilot.domain.orders import Order

    market, clock, account, stage, tick = world()
    position = Position(PositionId("s1"), A, "SPY", "stock/day_trade", clock.now(), "test entry")
    position.meta.update({"trade_style": "day_trade", "direction": "bullish"})
    account.book.add_position(position)
    # The simulated broker fills shares on bars, which this market has none of: the entry is booked directly.
    leg = OrderLeg(Stock("SPY"), Side.BUY, 1, PositionEffect.OPEN)
    entry = Order(
        ClientOrderId("e1"), A, (leg,), 10, OrderType.MARKET, clock.now(), position_id=position.position_id
    )
    fill = Fill(FillId("f1"), entry.client_order_id, A, 0, leg.instrument, Side.BUY, 10, Decimal("531.00"),
                Decimal(0), clock.now(), PositionEffect.OPEN)  # fmt: skip
    account.book.apply_fill(fill, entry)
    tick = Tick(clock.now(), clock.now() - MIN, tick.session, 62, False, False)
    [row] = stage.run(tick, account, {})
    assert (row.action.value, row.rule) == ("HOLD", "exits.hold")
    market.set_spot("SPY", 531.0 * 0.993)  # -0.7%: past the 0.6% stop
    [row] = stage.run(tick, account, {}, act=False)
    assert (row.rule, row.acted) == ("exits.stock_stop", False) and not account.orders.orders
    [row] = stage.run(tick, account, {})
    assert (row.rule, row.acted) == ("exits.stock_stop", True)
    [exit_order] = account.orders.orders.values()
    assert exit_order.purpose == "exit" and exit_order.legs[0].side is Side.SELL
