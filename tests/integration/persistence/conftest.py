"""Fixtures for the persistence tests: a database per test (SQLite file, PostgreSQL schema) and a scenario."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from optionpilot.core.ids import AccountId, ClientOrderId, FillId, PositionId, RecommendationId
from optionpilot.domain.accounts import LedgerEntry, LedgerKind
from optionpilot.domain.fills import Fill
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.domain.market import NewsItem
from optionpilot.domain.orders import Order, OrderLeg, OrderStatus, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionLeg, PositionStatus
from optionpilot.domain.recommendations import PositionEvent, Recommendation, Rejection, Signal
from optionpilot.ports.recorder import EquityPoint, RunInfo, ScoredNews, TickRecords
from optionpilot.ports.sentiment import SentimentScore


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'optionpilot.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


T0 = datetime(2024, 3, 4, 14, 31, tzinfo=UTC)
LARGE = AccountId("large")
TINY = AccountId("tiny")
CALL = OptionContract("SPY", date(2024, 3, 8), Decimal("510"), OptionRight.CALL)
PUT_SHORT = OptionContract("SPY", date(2024, 3, 15), Decimal("495"), OptionRight.PUT)
PUT_LONG = OptionContract("SPY", date(2024, 3, 15), Decimal("490"), OptionRight.PUT)


def run_info(run_id: str = "run-1") -> RunInfo:
    return RunInfo(
        run_id=run_id,
        mode="backtest",
        started_at=T0,
        seed=7,
        config_json='{"broker": {"api_key": "***"}, "days": 20}',
        accounts=[(LARGE, "large", Decimal("121000"), "USD"), (TINY, "tiny", Decimal("1000"), "USD")],
    )


def order(cid: str, legs: tuple[OrderLeg, ...], qty: int, ts: datetime, **kw: object) -> Order:
    return Order(
        client_order_id=ClientOrderId(cid),
        account_id=LARGE,
        legs=legs,
        quantity=qty,
        order_type=OrderType.LIMIT,
        created_at=ts,
        limit_price=kw.pop("limit_price", Decimal("1.25")),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def lifecycle(o: Order, ts: datetime) -> list[Order]:
    """NEW -> SUBMITTED -> ACCEPTED -> FILLED, every version."""
    sub = o.transition(OrderStatus.SUBMITTED, ts, "sent")
    acc = sub.transition(OrderStatus.ACCEPTED, ts, "working", broker_order_id=None)
    done = acc.transition(OrderStatus.FILLED, ts, "filled at the ask", filled_quantity=o.quantity)
    return [sub, acc, done]


def equity(ts: datetime, cash: str, eq: str, account: AccountId = LARGE, delta: float = 0.0) -> EquityPoint:
    return EquityPoint(
        account, ts, Decimal(cash), Decimal(eq), delta=delta, gamma=0.01, vega=3.5, theta=-2.25
    )


@dataclass
class Scenario:
    """Three ticks: a long call's whole life for `large`, an open put spread, a losing put, rejections."""

    info: RunInfo
    ticks: list[TickRecords]


def scenario() -> Scenario:
    t1, t2, t3 = T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=30)
    pos1 = PositionId("pos-1")
    call_leg = OrderLeg(CALL, Side.BUY)
    o1 = order("op-large-1", (call_leg,), 2, t1, position_id=pos1, reason="bullish news and volume surge")
    rec = Recommendation(
        RecommendationId("rec-1"),
        t1,
        LARGE,
        "SPY",
        "long_call/day_trade",
        (call_leg,),
        2,
        Decimal("1.25"),
        0.82,
        "bullish signal 0.82, OTM 1.5%, liquidity ok",
        pos1,
    )
    news = ScoredNews(
        NewsItem("n-1", t1 - timedelta(minutes=5), "SPY rallies", "rss", ("SPY",)),
        SentimentScore("bullish", 0.7, 0.9, "lexicon"),
    )
    tick1 = TickRecords(
        ts=t1,
        news=[news],
        signals=[
            Signal(t1, "SPY", "bullish", 0.82, "day_trade", "news 0.7, volume 3.2x", {"volume_ratio": 3.2})
        ],
        recommendations=[rec],
        rejections=[
            Rejection(
                t1,
                "sizing",
                "sizing.max_risk",
                "one contract costs more than 5% of equity",
                "SPY",
                TINY,
                {"cost": 126.0, "limit": 50.0},
            ),
            Rejection(t1, "liquidity", "liquidity.spread", "spread 14% of mid above 10%", "QQQ", LARGE),
        ],
        orders=[o1],
        equity=[equity(t1, "121000", "121000"), equity(t1, "1000", "1000", TINY)],
    )
    fill1 = Fill(
        FillId("f-1"), o1.client_order_id, LARGE, 0, CALL, Side.BUY, 2, Decimal("1.26"), Decimal("1.30"), t2
    )
    p_open = Position(
        pos1,
        LARGE,
        "SPY",
        "long_call/day_trade",
        t2,
        "bullish signal 0.82",
        PositionStatus.OPEN,
        {CALL.key: PositionLeg(CALL, 2, Decimal("1.26"), 2)},
        fees=Decimal("1.30"),
        entry_cost=Decimal("252"),
    )
    tick2 = TickRecords(
        ts=t2,
        orders=lifecycle(o1, t2),
        fills=[fill1],
        ledger=[
            LedgerEntry(LARGE, t2, LedgerKind.PREMIUM, Decimal("-252.00"), "f-1"),
            LedgerEntry(LARGE, t2, LedgerKind.FEE, Decimal("-1.30"), "f-1"),
        ],
        positions=[p_open],
        position_events=[
            PositionEvent(t2, pos1, LARGE, PositionEventKind.OPENED, "entry filled", 2, Decimal("1.26"))
        ],
        equity=[equity(t2, "120746.70", "120998.70", delta=110.5)],
    )
    o2 = order(
        "op-large-2",
        (OrderLeg(CALL, Side.SELL, effect=PositionEffect.CLOSE),),
        2,
        t3,
        position_id=pos1,
        purpose="exit",
        reason="take profit: +43% >= 40%",
        limit_price=Decimal("1.80"),
    )
    fill2 = Fill(
        FillId("f-2"),
        o2.client_order_id,
        LARGE,
        0,
        CALL,
        Side.SELL,
        2,
        Decimal("1.80"),
        Decimal("1.30"),
        t3,
        PositionEffect.CLOSE,
    )
    p_closed = replace(
        p_open,
        status=PositionStatus.CLOSED,
        legs={CALL.key: PositionLeg(CALL, 0, Decimal(0), 2)},
        realized_pnl=Decimal("108.00"),
        fees=Decimal("2.60"),
        closed_at=t3,
        exit_reason="take profit: +43% >= 40%",
    )
    # A put credit spread still open, and a put that lost money, for the views.
    pos2, pos3 = PositionId("pos-2"), PositionId("pos-3")
    spread = Position(
        pos2,
        LARGE,
        "SPY",
        "bull_put_spread",
        t3,
        "bullish, IV high",
        PositionStatus.OPEN,
        {
            PUT_SHORT.key: PositionLeg(PUT_SHORT, -1, Decimal("2.10"), 1),
            PUT_LONG.key: PositionLeg(PUT_LONG, 1, Decimal("1.40"), 1),
        },
        fees=Decimal("1.30"),
        entry_cost=Decimal("-70"),
    )
    loser = Position(
        pos3,
        LARGE,
        "QQQ",
        "long_put/swing_trade",
        t1,
        "bearish drift",
        PositionStatus.CLOSED,
        {},
        realized_pnl=Decimal("-45.50"),
        fees=Decimal("1.30"),
        entry_cost=Decimal("150"),
        closed_at=t3,
        exit_reason="stop loss -30%",
    )
    tick3 = TickRecords(
        ts=t3,
        orders=[o2, *lifecycle(o2, t3)],
        fills=[fill2],
        ledger=[
            LedgerEntry(LARGE, t3, LedgerKind.PREMIUM, Decimal("360.00"), "f-2"),
            LedgerEntry(LARGE, t3, LedgerKind.FEE, Decimal("-1.30"), "f-2"),
        ],
        positions=[p_closed, spread, loser],
        position_events=[
            PositionEvent(t3, pos1, LARGE, PositionEventKind.EXIT_SIGNAL, "take profit: +43% >= 40%"),
            PositionEvent(t3, pos1, LARGE, PositionEventKind.CLOSED, "exit filled", 2, Decimal("1.80")),
        ],
        equity=[equity(t3, "121105.40", "121105.40"), equity(t3, "1000", "1000", TINY)],
    )
    return Scenario(run_info(), [tick1, tick2, tick3])


@pytest.fixture
def scene() -> Scenario:
    return scenario()


@pytest.fixture
def kit() -> SimpleNamespace:
    """The builders above, for tests that make their own records."""
    return SimpleNamespace(
        T0=T0,
        LARGE=LARGE,
        TINY=TINY,
        CALL=CALL,
        order=order,
        lifecycle=lifecycle,
        equity=equity,
        run_info=run_info,
    )
