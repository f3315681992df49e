"""The account's one gate: both entry sources pass the same netting, sleeve and limit checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, IdMaker, PositionId
from optionpilot.decisions.budgets import Sleeve, SleeveConfig
from optionpilot.decisions.risk import RiskConfig
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Underlying
from optionpilot.domain.orders import OrderLeg, PositionEffect, Side
from optionpilot.domain.positions import Position
from optionpilot.domain.recommendations import Decision
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.book import AccountBook
from optionpilot.engine.entries.dispatch import (
    CAPITAL,
    SLEEVE,
    AccountDispatcher,
    at_work,
    deployed,
    intraday_capital,
    sleeve_of,
)
from optionpilot.engine.journal import Journal
from optionpilot.engine.marks import PortfolioGreeks
from optionpilot.engine.orders.manager import OrderManager
from optionpilot.ports.recorder import RunInfo, TickRecords
from optionpilot.testing.static_market import StaticMarket

SPY = Underlying("SPY", asset_class=AssetClass.ETF)
NOW = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
PUT = OptionContract("SPY", date(2026, 12, 18), Decimal(570), OptionRight.PUT)
D = Decimal


class NullRecorder:
    def start_run(self, info: RunInfo) -> None: ...

    def record(self, records: TickRecords) -> None: ...

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None: ...


def account(cash: int = 100_000, sleeves: SleeveConfig | None = None) -> AccountRuntime:
    clock = SimulatedClock(NOW)
    market = StaticMarket(clock, [SPY])
    market.set_spot("SPY", 580.0)
    ids = IdMaker("t")
    aid = AccountId("acct")
    broker = SimulatedBroker(aid, market=market, clock=clock, starting_cash=D(cash), ids=ids)
    book = AccountBook(aid, "USD", D(cash), clock.now())
    journal = Journal(NullRecorder())
    journal.begin(clock.now())
    orders = OrderManager(aid, broker, book, ids, clock, journal)
    return AccountRuntime(
        aid, "acct", SPY.market, "USD", D(cash), broker, book, orders, sleeves=sleeves or SleeveConfig()
    )


def hold(acct: AccountRuntime, pid: str, qty: int, meta: dict[str, str], price: str = "2.00") -> Position:
    p = Position(PositionId(pid), acct.account_id, "SPY", "bull_put_spread", NOW, "test", meta=dict(meta))
    p.leg_for(PUT).apply(qty, D(price))
    acct.book.add_position(p)
    return p


def admit(
    acct: AccountRuntime, sleeve: Sleeve, cost: int, side: Side = Side.BUY, style: str = "day_trade"
) -> Decision[Decimal]:
    return AccountDispatcher(acct, RiskConfig()).admit(
        sleeve=sleeve,
        trade_style=style,
        cost=D(cost),
        legs=(OrderLeg(PUT, side, 1, PositionEffect.OPEN),),
        snapshot=acct.broker.account(),
        net=PortfolioGreeks(),
    )


def test_a_signal_cannot_buy_what_a_strategy_holds_short() -> None:
    acct = account()
    hold(
        acct, "ml-1", -2, {"flow": "multileg", SLEEVE: "multileg", "capital_unit": "380", "unit_leg": PUT.key}
    )
    d = admit(acct, "day", 500, Side.BUY)
    assert not d.ok and d.rule == "dispatch.netting"
    assert admit(acct, "multileg", 500, Side.SELL).ok  # the same side is fine


def test_each_sleeve_has_its_own_budget() -> None:
    acct = account(100_000)
    hold(acct, "ml-1", -10, {"flow": "multileg", "capital_unit": "380", "unit_leg": PUT.key})
    assert sleeve_of(acct.book.positions[PositionId("ml-1")]) == "multileg"
    assert deployed(acct.book.open_positions(), "multileg") == D(3_800)
    assert deployed(acct.book.open_positions(), "day") == D(0)
    no = admit(acct, "multileg", 26_300, Side.SELL)  # 3,800 + 26,300 > 30,000
    assert not no.ok and no.rule == "budget.sleeve" and "multileg sleeve" in no.reason
    assert admit(acct, "multileg", 26_200, Side.SELL).ok
    # The day sleeve is 49,000: a swing of 21,001 is over its own 21,000 though the account has room.
    assert admit(acct, "day", 21_001, Side.SELL).ok
    assert admit(acct, "swing", 21_001, Side.SELL, style="swing_trade").rule == "budget.sleeve"


def test_an_admitted_entry_holds_its_capital_until_it_fills() -> None:
    acct = account(10_000)
    p = Position(PositionId("o-1"), acct.account_id, "SPY", "long_put/day_trade", NOW, "t")
    p.meta.update({SLEEVE: "day", CAPITAL: "4800", "trade_style": "day_trade"})
    acct.book.add_position(p)
    assert at_work(p) == D(4_800)
    # 4,800 pending + 200 > the 4,900 day budget of a 10,000 account.
    assert admit(acct, "day", 200).rule == "budget.sleeve"
    assert admit(acct, "day", 100).ok


def test_seed_001_limits_still_apply_to_intraday_entries_only() -> None:
    acct = account(100_000, SleeveConfig(day=D("0.7"), swing=D("0.3"), multileg=D(0)))
    for i in range(5):
        hold(acct, f"d-{i}", 1, {"trade_style": "day_trade", SLEEVE: "day"}, "1.00")
    assert admit(acct, "day", 100).rule == "risk.day_positions"
    assert admit(acct, "swing", 100, style="swing_trade").ok
    # A strategy is not a day trade: the five open day trades do not stop it (its sleeve is empty here).
    assert admit(acct, "multileg", 100).rule == "budget.sleeve"


def test_no_entry_needs_more_than_the_buying_power() -> None:
    acct = account(10_000, SleeveConfig(day=D(1), swing=D(0), multileg=D(0)))
    no = admit(acct, "day", 10_001)
    assert not no.ok and no.rule == "risk.buying_power"
    assert admit(acct, "day", 5_000).ok


def test_the_multileg_margin_does_not_shrink_intraday_sizing() -> None:
    acct = account(10_000)
    p = hold(acct, "ml-1", -2, {"flow": "multileg", "capital_unit": "500", "unit_leg": PUT.key})
    snap = acct.broker.account()
    reduced = dataclasses.replace(snap, buying_power=snap.buying_power - D(1_000))
    assert intraday_capital(reduced, [p]) == min(snap.equity, snap.buying_power)
    assert intraday_capital(reduced, []) == reduced.buying_power
