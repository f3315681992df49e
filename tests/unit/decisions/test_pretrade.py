"""The pre-trade checks one by one, at their boundaries (issue 17)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from optionpilot.core.calendars import Market, calendar_for
from optionpilot.decisions.pretrade.config import PreTradeConfig
from optionpilot.decisions.pretrade.flow import check_open_orders, check_order_rate
from optionpilot.decisions.pretrade.greeks import GreekCaps, GreekValues, check_greek_caps
from optionpilot.decisions.pretrade.hours import check_market_hours
from optionpilot.decisions.pretrade.prices import NetQuote, check_collar, check_quote_age
from optionpilot.decisions.pretrade.sizes import check_order_notional, check_position_notional

D = Decimal
CFG = PreTradeConfig()
NYSE = calendar_for(Market.US)


def test_order_notional_is_a_share_of_equity_capped_by_an_amount() -> None:
    assert check_order_notional(D(500), D(1_000), CFG).ok  # 50% of $1,000: at the limit
    over = check_order_notional(D("500.01"), D(1_000), CFG)
    assert not over.ok and over.rule == "risk.order_notional" and "500.00 order limit" in over.reason
    assert check_order_notional(D(60_500), D(121_000), CFG).ok  # the same share of a large account
    capped = CFG.model_copy(update={"max_order_notional": D(10_000)})
    assert not check_order_notional(D("10000.01"), D(121_000), capped).ok
    assert not check_order_notional(D(1), D(0), CFG).ok  # no equity, no order


def test_position_notional_counts_what_the_position_holds() -> None:
    assert check_position_notional(D(400), D(300), D(1_000), CFG).ok  # 700 = 70%
    d = check_position_notional(D(400), D("300.01"), D(1_000), CFG)
    assert not d.ok and d.rule == "risk.position_notional"


def test_open_orders_and_the_throttle_refuse_at_the_limit() -> None:
    assert check_open_orders(39, CFG).ok
    d = check_open_orders(40, CFG)
    assert not d.ok and d.rule == "risk.open_orders"
    assert check_order_rate(29, CFG).ok
    r = check_order_rate(30, CFG)
    assert not r.ok and r.rule == "risk.order_rate" and "30 orders sent in the last minute" in r.reason


def test_the_collar_is_the_touch_widened_by_a_share_of_the_mid() -> None:
    q = NetQuote(D("1.90"), D("2.10"), timedelta(0))  # mid 2.00: band 0.20 -> [1.70, 2.30]
    assert check_collar(D("2.30"), q, CFG).ok and check_collar(D("1.70"), q, CFG).ok
    high = check_collar(D("2.31"), q, CFG)
    assert not high.ok and high.rule == "risk.collar" and "outside the collar [1.70, 2.30]" in high.reason
    assert not check_collar(D("1.69"), q, CFG).ok
    credit = NetQuote(D("-1.10"), D("-0.90"), None)  # a credit spread: negative net, band 0.10
    assert check_collar(D("-1.20"), credit, CFG).ok and not check_collar(D("-1.21"), credit, CFG).ok


def test_stale_quotes_stop_entries_and_market_orders_not_limit_closes() -> None:
    fresh = NetQuote(D(1), D(2), timedelta(seconds=120))
    stale = NetQuote(D(1), D(2), timedelta(seconds=121))
    assert check_quote_age(fresh, CFG, entry=True, market_order=False).ok
    d = check_quote_age(stale, CFG, entry=True, market_order=False)
    assert not d.ok and d.rule == "risk.stale_quote" and "121s old" in d.reason
    assert not check_quote_age(stale, CFG, entry=False, market_order=True).ok  # a market close too
    assert check_quote_age(stale, CFG, entry=False, market_order=False).ok  # a limit close goes
    missing = check_quote_age(None, CFG, entry=False, market_order=True)
    assert not missing.ok and missing.rule == "risk.no_quote"
    assert check_quote_age(NetQuote(D(1), D(1), None), CFG, entry=True, market_order=True).ok  # stock
    # End-of-day data: the session's snapshot is as fresh as it gets (the gate widens the age to it).
    assert check_quote_age(stale, CFG, entry=True, market_order=True, max_age=timedelta(minutes=15)).ok
    assert not check_quote_age(stale, CFG, entry=True, market_order=True, max_age=timedelta(seconds=60)).ok


def _hours(t: datetime) -> str:
    day = NYSE.local_date(t)
    session = NYSE.session(day) if NYSE.is_session(day) else None
    return check_market_hours(t, session, "XNYS").rule


def test_market_hours_from_the_calendar_with_holidays_and_early_closes() -> None:
    s = NYSE.session(date(2026, 11, 2))  # 14:30-21:00 UTC
    assert _hours(s.open) == "risk.market_open" and _hours(s.close) == "risk.market_open"
    assert _hours(s.open - timedelta(seconds=1)) == "risk.market_hours"
    assert _hours(s.close + timedelta(seconds=1)) == "risk.market_hours"
    assert _hours(datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == "risk.market_closed"  # Thanksgiving
    assert _hours(datetime(2026, 11, 1, 16, 0, tzinfo=UTC)) == "risk.market_closed"  # a Sunday
    early = NYSE.session(date(2026, 11, 27))  # the day after Thanksgiving closes at 13:00 New York
    assert early.is_early_close
    assert _hours(early.close - timedelta(minutes=1)) == "risk.market_open"
    assert _hours(early.close + timedelta(minutes=1)) == "risk.market_hours"
    bse = calendar_for(Market.IN)
    bse_day = bse.session(date(2026, 11, 2))
    assert check_market_hours(bse_day.open, bse_day, "XBOM").ok


def test_greek_caps_scale_with_equity_and_let_a_reducing_trade_through() -> None:
    caps = GreekCaps()
    small, large = D(1_000), D(121_000)
    assert check_greek_caps(small, GreekValues(), GreekValues(delta=25_000), caps).ok  # 25x equity
    d = check_greek_caps(small, GreekValues(), GreekValues(delta=-25_001), caps)
    assert not d.ok and d.rule == "risk.net_delta"
    assert check_greek_caps(large, GreekValues(), GreekValues(delta=3_025_000), caps).ok
    # Gamma: short only (a long option loses at most its premium).
    assert check_greek_caps(small, GreekValues(), GreekValues(gamma=-2_000), caps).ok
    g = check_greek_caps(small, GreekValues(), GreekValues(gamma=-2_001), caps)
    assert not g.ok and g.rule == "risk.net_gamma"
    assert check_greek_caps(small, GreekValues(), GreekValues(gamma=50_000), caps).ok
    v = check_greek_caps(small, GreekValues(), GreekValues(vega=-30.5), caps)
    assert not v.ok and v.rule == "risk.net_vega"
    # Over the cap already: a trade toward zero passes, one further out does not.
    over = GreekValues(delta=30_000, gamma=-3_000)
    assert check_greek_caps(small, over, GreekValues(delta=-1_000, gamma=500), caps).ok
    assert not check_greek_caps(small, over, GreekValues(delta=1), caps).ok
    assert not check_greek_caps(small, over, GreekValues(gamma=-1), caps).ok
    off = GreekCaps(enabled=False)
    assert check_greek_caps(small, GreekValues(), GreekValues(delta=1e9), off).ok
