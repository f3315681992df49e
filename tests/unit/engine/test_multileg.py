"""The multi-leg desk on a scripted market and the simulated broker: entries, the once-a-day rule, exits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, IdMaker
from optionpilot.decisions.exits import MultiLegExitConfig
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Underlying
from optionpilot.domain.orders import OrderLeg, Side
from optionpilot.domain.positions import PositionStatus
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.journal import Journal
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.engine.multileg.desk import MultiLegDesk
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.engine.orders.reconciliation import reconcile
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY", asset_class=AssetClass.ETF)
START = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)  # 11:00 New York
EXPIRY = date(2026, 12, 18)  # 51 DTE
SHORT = OptionContract("SPY", EXPIRY, Decimal(570), OptionRight.PUT)
LONG = OptionContract("SPY", EXPIRY, Decimal(565), OptionRight.PUT)


class ListRecorder:
    def __init__(self) -> None:
        self.ticks: list[TickRecords] = []

    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None:
        self.ticks.append(records)

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


def candidate(lots_note: str = "") -> StrategyCandidate:
    return StrategyCandidate(
        candidate_id="SPY-bull_put_spread-t1", ts=START, underlying="SPY", currency="USD",
        strategy=StrategyType.BULL_PUT_SPREAD,
        legs=(OrderLeg(LONG, Side.BUY), OrderLeg(SHORT, Side.SELL)),
        expiry=EXPIRY, dte=51, multiplier=100, net_debit=Decimal("-1.20"), net_debit_mid=Decimal("-1.30"),
        max_profit=Decimal(120), max_loss=Decimal(380), breakevens=(Decimal("568.80"),), pop=0.7,
        expected_value=Decimal(10), delta=10.0, gamma=0.0, vega=-5.0, theta=2.0, margin=Decimal(380),
        spread_pct=0.05, sigma=0.2, reason="test" + lots_note, score=0.7, confidence=0.7,
        conviction=Conviction.HIGH,
    )  # fmt: skip


@pytest.fixture
def desk() -> tuple[MultiLegDesk, StaticMarket, SimulatedClock, Journal]:
    clock = SimulatedClock(START)
    market = StaticMarket(clock, [SPY])
    market.set_spot("SPY", 580.0)
    quote(market, short=("2.00", "2.10"), long=("0.80", "0.90"))
    ids = IdMaker("t")
    aid = AccountId("acct")
    broker = SimulatedBroker(aid, market=market, clock=clock, starting_cash=Decimal(50_000), ids=ids)
    book = AccountBook(aid, "USD", Decimal(50_000), clock.now())
    journal = Journal(ListRecorder())
    journal.begin(clock.now())
    orders = OrderManager(aid, broker, book, ids, clock, journal)
    account = AccountRuntime(aid, "acct", SPY.market, "USD", Decimal(50_000), broker, book, orders)
    return MultiLegDesk(account, market, clock, journal, ids, StrategiesConfig()), market, clock, journal


def quote(market: StaticMarket, *, short: tuple[str, str], long: tuple[str, str]) -> None:
    market.set_quote(SHORT, *short)
    market.set_quote(LONG, *long)


def step(d: MultiLegDesk, market: StaticMarket, clock: SimulatedClock, **q: tuple[str, str]) -> None:
    clock.advance_to(clock.now() + timedelta(minutes=1))
    quote(market, short=q.get("short", ("2.00", "2.10")), long=q.get("long", ("0.80", "0.90")))
    d.account.orders.process_events()


def test_entry_fills_at_the_natural_credit_and_is_never_entered_twice(desk) -> None:  # type: ignore[no-untyped-def]
    d, market, clock, _ = desk
    first = d.enter(candidate(), 3, reason="plan")
    assert first.ok and "limit -1.10" in first.reason  # buy 565P at 0.90, sell 570P at 2.00
    step(d, market, clock)
    pos = first.value
    assert pos is not None and pos.status is PositionStatus.OPEN
    assert pos.entry_cost == Decimal(-330)  # 3 x (0.90 - 2.00) x 100
    # Greeks of one lot at entry, kept on the position: short the 570 put, long the 565 put.
    assert pos.entry_delta is not None and pos.entry_delta > 0
    assert pos.entry_theta is not None and pos.entry_theta > 0
    assert pos.entry_vega is not None and pos.entry_vega < 0 and pos.entry_iv is not None
    again = d.enter(candidate(), 1, reason="plan")
    assert not again.ok and again.rule == "multileg.entry.once_a_day"
    forced = d.enter(candidate(), 1, reason="plan", force=True)
    assert forced.ok
    step(d, market, clock)
    assert reconcile(d.account.book, d.account.broker).ok


def test_alert_only_flags_without_orders_and_acting_closes_at_the_target(desk) -> None:  # type: ignore[no-untyped-def]
    d, market, clock, journal = desk
    pos = d.enter(candidate(), 2, reason="plan").value
    step(d, market, clock)
    # Entered for a 1.10 credit. It now costs 0.50 to close at the mid (short 0.60/0.70, long 0.10/0.20):
    # captured 2 x (1.10 - 0.50) x 100 = 120 of the max profit 2 x 120: the 50% target.
    step(d, market, clock, short=("0.60", "0.70"), long=("0.10", "0.20"))
    rows = d.monitor(act=False)
    assert [(r.action.value, r.rule, r.acted) for r in rows] == [
        ("CLOSE", "multileg_exit.profit_target", False)
    ]
    assert not d.account.orders.open_orders()
    assert any(e.kind == "exit_signal" for e in journal.current.position_events)
    rows = d.monitor(act=True)
    assert rows[0].acted and pos is not None and pos.status is PositionStatus.CLOSING
    step(d, market, clock, short=("0.60", "0.70"), long=("0.10", "0.20"))
    assert pos.status is PositionStatus.CLOSED
    # Closed at the natural: pay 0.70 for the short, receive 0.10 for the long: 0.60 against 1.10.
    assert pos.realized_pnl == Decimal(2 * (110 - 60))
    assert reconcile(d.account.book, d.account.broker).ok


def test_entries_inside_the_time_exit_are_refused(desk) -> None:  # type: ignore[no-untyped-def]
    d, *_ = desk
    near = candidate()
    near = StrategyCandidate(**{**{f: getattr(near, f) for f in near.__dataclass_fields__}, "dte": 20})
    refused = d.enter(near, 1, reason="plan")
    assert not refused.ok and refused.rule == "multileg.entry.time_exit"


def _rules(d: MultiLegDesk, *names: str, **kw: object) -> None:
    from optionpilot.decisions.exits import MultiLegExitConfig

    exits = MultiLegExitConfig(rule_sets={"*/*": names}, **kw)  # type: ignore[arg-type]
    d.config = StrategiesConfig(exits=exits)


def test_the_desk_keeps_the_peak_capture_and_its_trailing_stop_closes_on_the_giveback(desk) -> None:  # type: ignore[no-untyped-def]
    d, market, clock, _ = desk
    _rules(d, "multileg_exit.trailing")
    pos = d.enter(candidate(), 2, reason="plan").value
    step(d, market, clock)
    # Credit 1.10; closing costs 0.60 at the mids: 2 x 50 = 100 of the max profit 240, capture 42%.
    step(d, market, clock, short=("0.80", "0.90"), long=("0.20", "0.30"))
    assert [r.rule for r in d.monitor(act=True)] == ["multileg_exit.hold"]
    assert pos is not None and abs(float(pos.meta["peak_capture"]) - 100 / 240) < 1e-9
    # Back to 0.80 (capture 25%): 17 points given back from the peak, the trail's limit is 15.
    step(d, market, clock, short=("1.20", "1.30"), long=("0.40", "0.50"))
    [row] = d.monitor(act=True)
    assert (row.action.value, row.rule, row.acted) == ("CLOSE", "multileg_exit.trailing", True)
    assert "peak 42%" in row.reason and pos.status is PositionStatus.CLOSING


def test_the_desk_closes_a_position_held_past_the_holding_period(desk) -> None:  # type: ignore[no-untyped-def]
    d, market, clock, _ = desk
    _rules(d, "multileg_exit.max_hold", max_hold_days=1)
    pos = d.enter(candidate(), 1, reason="plan").value
    step(d, market, clock)
    assert [r.rule for r in d.monitor(act=True)] == ["multileg_exit.hold"]
    clock.advance_to(clock.now() + timedelta(days=1))
    quote(market, short=("2.00", "2.10"), long=("0.80", "0.90"))
    [row] = d.monitor(act=True)
    assert (row.rule, row.acted) == ("multileg_exit.max_hold", True) and "held 1 days" in row.reason
    assert pos is not None and pos.status is PositionStatus.CLOSING


def test_a_threatened_short_is_rolled_out_and_away_as_one_order_when_rolls_are_on(desk) -> None:  # type: ignore[no-untyped-def]
    d, market, clock, journal = desk
    later = date(2027, 1, 15)
    far = {k: OptionContract("SPY", later, Decimal(k), OptionRight.PUT) for k in (545, 550, 555, 560)}
    prices = {545: ("0.90", "1.00"), 550: ("1.20", "1.30"), 555: ("1.80", "1.90"), 560: ("2.40", "2.50")}
    pos = d.enter(candidate(), 2, reason="plan").value
    step(d, market, clock)
    assert pos is not None and pos.status is PositionStatus.OPEN

    def threatened() -> None:
        clock.advance_to(clock.now() + timedelta(minutes=1))
        quote(market, short=("3.00", "3.10"), long=("1.40", "1.50"))
        market.set_spot("SPY", 572.0)  # the 570 put is 0.35% from spot: inside the 1% buffer
        for k, c in far.items():
            market.set_quote(c, *prices[k])
        d.account.orders.process_events()

    threatened()
    # Rolls off: the roll is only proposed (for a person), nothing is sent.
    _rules(d, *MultiLegExitConfig().rule_sets["*/*"], rolls=False)
    [row] = d.monitor(act=True)
    assert (row.action.value, row.rule, row.acted) == ("ADJUST", "multileg_exit.adjust", False)
    assert not d.account.orders.open_orders()

    assert MultiLegExitConfig().rolls  # on by default (seed 003: roll shorts at 21 DTE if still at risk)
    _rules(d, *MultiLegExitConfig().rule_sets["*/*"], rolls=True)
    [row] = d.monitor(act=True)
    assert (row.action.value, row.acted) == ("ROLL", True)
    [roll] = d.account.orders.open_orders()
    # 3% out of the money from 572 is 554.84: the 550 put of the next expiry, and its wing 5 below.
    assert roll.purpose == "roll" and roll.quantity == 2
    assert [(g.instrument, g.side, g.effect.value) for g in roll.legs] == [
        (SHORT, Side.BUY, "close"),
        (LONG, Side.SELL, "close"),
        (far[550], Side.SELL, "open"),
        (far[545], Side.BUY, "open"),
    ]
    recorded = [e for t in journal._recorder.ticks for e in t.position_events]  # flushed before the send
    [signal] = [e for e in recorded if e.kind == "roll_signal"]
    assert signal.quantity == 2 and "multileg_roll.defensive" in signal.reason
    threatened()  # the roll fills
    assert {k: leg.quantity for k, leg in pos.legs.items() if leg.quantity} == {
        far[550].key: -2,
        far[545].key: 2,
    }
    [row] = d.monitor(act=True)  # the roll is settled: the rolled spread is the strategy now, not broken
    assert row.rule != "multileg_exit.broken" and not d.account.orders.open_orders()
    assert pos.meta["legs"] == f"{far[545].key}=1;{far[550].key}=-1" and pos.meta["rolls"] == "1"
    # The old side's entry credit 110 a unit is replaced by the new side's 0.20 x 100: 90 less profit.
    assert Decimal(pos.meta["max_profit_unit"]) == Decimal(30)
    assert Decimal(pos.meta["max_loss_unit"]) == Decimal(470)
    assert reconcile(d.account.book, d.account.broker).ok


def test_the_exit_stage_manages_multi_leg_positions_alert_only_or_acting(desk) -> None:  # type: ignore[no-untyped-def]
    from optionpilot.core.calendars import calendar_for
    from optionpilot.engine.exits.stage import ExitStage
    from optionpilot.engine.marks import Marker
    from optionpilot.engine.rules import Rules
    from optionpilot.engine.ticker import Tick

    d, market, clock, _ = desk
    stage = ExitStage(market, Marker(market), Rules(), d.config.exits)
    pos = d.enter(candidate(), 2, reason="plan").value
    step(d, market, clock)
    step(d, market, clock, short=("0.60", "0.70"), long=("0.10", "0.20"))  # the 50% target
    session = calendar_for(SPY.market).session(date(2026, 10, 28))
    tick = Tick(clock.now(), clock.now() - timedelta(minutes=1), session, 60, False, False)
    [row] = stage.run(tick, d.account, {}, act=False)
    assert (row.rule, row.acted) == (
        "multileg_exit.profit_target",
        False,
    ) and not d.account.orders.open_orders()
    [row] = stage.run(tick, d.account, {})
    assert row.acted and pos is not None and pos.status is PositionStatus.CLOSING
    [exit_order] = d.account.orders.open_orders()
    assert exit_order.purpose == "exit" and len(exit_order.legs) == 2
