"""Settlement at expiry on real data: SPY options deliver shares (exercise and assignment at the strike),
NIFTY options settle in cash at the index's value; the replay gives each symbol those terms."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from optionpilot.adapters.files.importer import import_file
from optionpilot.adapters.files.replay import ReplayConfig, StoreMarket, underlying_for
from optionpilot.adapters.files.store import DataStore
from optionpilot.adapters.sim.broker import SimulatedBroker
from optionpilot.adapters.sim.settlement import settle
from optionpilot.core.calendars import Market
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.ids import AccountId, ClientOrderId, IdMaker
from optionpilot.domain.fills import ExpirySettlement, Fill, SettlementKind
from optionpilot.domain.instruments import AssetClass, OptionContract, OptionRight, Settlement
from optionpilot.domain.orders import Order, OrderLeg, OrderType, Side

NY = ZoneInfo("America/New_York")
IST = ZoneInfo("Asia/Kolkata")
ACCOUNT = AccountId("a")
FEB19 = date(2021, 2, 19)  # SPY closed at 390.03 that day


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    ds = DataStore(tmp_path_factory.mktemp("settle"))
    import_file(ds, shared_data / "options/eod/spy_2021/prod_options_1y.csv")
    import_file(ds, shared_data / "options/eod/spy_2021/prod_stocks_1y.csv")
    import_file(
        ds, shared_data / "options/eod/nse_2025/nse_nifty_banknifty_option_chain_20250716_20250717.csv"
    )
    return ds


def test_spy_options_in_the_money_deliver_shares_at_the_strike(store: DataStore) -> None:
    clock = SimulatedClock(datetime(2021, 1, 28, 15, 0, tzinfo=NY).astimezone(UTC))
    market = StoreMarket(store, clock, ["SPY"])
    [spy] = market.underlyings()
    broker = SimulatedBroker(
        ACCOUNT, market=market, clock=clock, starting_cash=Decimal(200_000), ids=IdMaker("s")
    )

    def call(strike: int) -> OptionContract:
        return OptionContract.for_underlying(spy, FEB19, Decimal(strike), OptionRight.CALL)

    long_itm, short_itm, long_otm = call(380), call(385), call(395)
    short_put = OptionContract.for_underlying(spy, FEB19, Decimal(375), OptionRight.PUT)
    for n, (c, side, qty) in enumerate(
        [
            (long_itm, Side.BUY, 2),
            (short_itm, Side.SELL, 1),
            (long_otm, Side.BUY, 1),
            (short_put, Side.SELL, 1),
        ]
    ):
        broker.submit(
            Order(ClientOrderId(f"o{n}"), ACCOUNT, (OrderLeg(c, side),), qty, OrderType.MARKET, clock.now())
        )
    clock.advance_to(datetime(2021, 1, 28, 16, 1, tzinfo=NY).astimezone(UTC))
    fills = [e for e in broker.poll_events() if isinstance(e, Fill)]
    assert len(fills) == 4, fills  # on the real quotes of the 28th
    cash_before = broker.account().cash
    clock.advance_to(datetime(2021, 2, 19, 16, 1, tzinfo=NY).astimezone(UTC))
    got = {e.contract.key: e for e in broker.poll_events() if isinstance(e, ExpirySettlement)}
    assert long_itm.settlement is Settlement.PHYSICAL
    exercised, assigned = got[long_itm.key], got[short_itm.key]
    assert exercised.settlement_price == Decimal("390.03")
    assert (exercised.kind, exercised.shares, exercised.cash) == (
        SettlementKind.EXERCISED,
        200,
        Decimal(-76_000),
    )
    assert (assigned.kind, assigned.shares, assigned.cash) == (SettlementKind.ASSIGNED, -100, Decimal(38_500))
    assert got[long_otm.key].kind is SettlementKind.EXPIRED and got[long_otm.key].shares == 0
    assert got[short_put.key].kind is SettlementKind.EXPIRED and got[short_put.key].cash == 0
    assert [(p.symbol, p.quantity) for p in broker.positions()] == [("SPY", 100)]
    assert broker.account().cash == cash_before - 76_000 + 38_500


def test_nifty_options_settle_in_cash_at_the_index_value(store: DataStore) -> None:
    clock = SimulatedClock(datetime(2025, 7, 17, 15, 31, tzinfo=IST).astimezone(UTC))
    market = StoreMarket(store, clock, ["NIFTY"], market=Market.IN)
    [nifty] = market.underlyings()
    close = Decimal(repr(market.spot("NIFTY")))
    assert close == Decimal("25111.45")  # the index at the close of the expiry, from the real chain
    itm = OptionContract.for_underlying(nifty, date(2025, 7, 17), Decimal(25000), OptionRight.CALL)
    assert (itm.settlement, itm.multiplier) == (Settlement.CASH, 75)
    long_call = settle(itm, 2, close, Decimal("0.01"))
    assert (long_call.kind, long_call.shares, long_call.cash) == (
        SettlementKind.EXERCISED,
        0,
        Decimal("16717.50"),
    )
    short_put = settle(
        OptionContract.for_underlying(nifty, date(2025, 7, 17), Decimal(25200), OptionRight.PUT),
        -1,
        close,
        Decimal("0.01"),
    )
    assert (short_put.kind, short_put.shares, short_put.cash) == (
        SettlementKind.ASSIGNED,
        0,
        Decimal("-6641.25"),
    )


@pytest.mark.parametrize(
    ("symbol", "market", "asset", "settlement"),
    [
        ("SPY", Market.US, AssetClass.ETF, Settlement.PHYSICAL),
        ("AAPL", Market.US, AssetClass.EQUITY, Settlement.PHYSICAL),
        ("SPX", Market.US, AssetClass.INDEX, Settlement.CASH),
        ("NIFTY", Market.IN, AssetClass.INDEX, Settlement.CASH),
        ("BANKNIFTY", Market.IN, AssetClass.INDEX, Settlement.CASH),
        ("RELIANCE", Market.IN, AssetClass.EQUITY, Settlement.PHYSICAL),  # NSE stock options deliver
    ],
)
def test_the_replay_gives_shares_physical_and_configured_indices_cash(
    symbol: str, market: Market, asset: AssetClass, settlement: Settlement
) -> None:
    u = underlying_for(symbol, market, ReplayConfig())
    assert (u.asset_class, u.option_settlement) == (asset, settlement)


def test_an_index_configured_by_the_user_settles_in_cash() -> None:
    cfg = ReplayConfig(indices=("NIFTY", "BANKNIFTY", "FINNIFTY"))
    assert underlying_for("FINNIFTY", Market.IN, cfg).option_settlement is Settlement.CASH
    assert underlying_for("FINNIFTY", Market.IN, ReplayConfig()).option_settlement is Settlement.PHYSICAL
