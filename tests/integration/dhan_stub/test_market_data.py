"""Expiry list, option chain and its 3-second throttle, through the official SDK."""

from __future__ import annotations

from datetime import date
from typing import Any

from dhanhq import dhanhq

from optionpilot.adapters.dhan_stub.limits import Limiter
from optionpilot.adapters.dhan_stub.server import RunningDhanStub


def test_expiries_and_the_chain_of_one(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    expiries = kit.ok(dhan.expiry_list(kit.nifty_id, "IDX_I"))["data"]
    assert expiries == sorted(expiries)
    assert all(date.fromisoformat(d).weekday() in (0, 1) for d in expiries)  # Tuesdays (Monday on a holiday)
    answer = kit.ok(dhan.option_chain(kit.nifty_id, "IDX_I", expiries[0]))
    assert answer["status"] == "success"
    chain = answer["data"]
    assert 20_000 < chain["last_price"] < 30_000
    strikes = [float(k) for k in chain["oc"]]
    assert all(k % 50 == 0 for k in strikes)
    atm = min(strikes, key=lambda k: abs(k - chain["last_price"]))
    row = chain["oc"][f"{atm:.6f}"]
    for side, sign in (("ce", 1), ("pe", -1)):
        s = row[side]
        assert 0 < s["top_bid_price"] <= s["top_ask_price"]
        assert s["top_bid_quantity"] % 75 == 0 and s["top_ask_quantity"] % 75 == 0
        assert 0.3 < sign * s["greeks"]["delta"] < 0.7
        assert 5 < s["implied_volatility"] < 40
    assert row["ce"]["security_id"] != row["pe"]["security_id"]


def test_the_chain_allows_one_request_per_three_seconds_per_expiry(
    stub: RunningDhanStub, dhan: dhanhq, kit: Any
) -> None:
    first, second = kit.ok(dhan.expiry_list(kit.nifty_id, "IDX_I"))["data"][:2]
    kit.ok(dhan.option_chain(kit.nifty_id, "IDX_I", first))
    again = kit.failed(dhan.option_chain(kit.nifty_id, "IDX_I", first))
    assert again["error_code"] == "DH-904"
    kit.ok(dhan.option_chain(kit.nifty_id, "IDX_I", second))  # another expiry has its own allowance


def test_bad_chain_requests_name_what_is_wrong(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    assert "expirylist" in kit.failed(dhan.option_chain(kit.nifty_id, "IDX_I", "2001-01-02"))["error_message"]
    assert "YYYY-MM-DD" in kit.failed(dhan.option_chain(kit.nifty_id, "IDX_I", "soon"))["error_message"]
    assert "not an underlying" in kit.failed(dhan.expiry_list(4242, "IDX_I"))["error_message"]
    assert "IDX_I" in kit.failed(dhan.expiry_list(kit.nifty_id, "NSE_EQ"))["error_message"]


def test_stock_options_trade_in_lots_of_their_own(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    reliance = 2885
    expiry = kit.ok(dhan.expiry_list(reliance, "NSE_EQ"))["data"][0]
    chain = kit.ok(dhan.option_chain(reliance, "NSE_EQ", expiry))["data"]
    assert 1000 < chain["last_price"] < 2000
    atm = min(chain["oc"], key=lambda k: abs(float(k) - chain["last_price"]))
    side = chain["oc"][atm]["pe"]
    sid = str(side["security_id"])
    half = kit.failed(
        dhan.place_order(sid, "NSE_FNO", "BUY", 250, "LIMIT", "INTRADAY", side["top_ask_price"])
    )
    assert "lot size 500" in half["error_message"]
    order_id = kit.ok(
        dhan.place_order(sid, "NSE_FNO", "BUY", 500, "LIMIT", "INTRADAY", side["top_ask_price"])
    )["orderId"]
    order = kit.wait_for(
        lambda: (o := kit.ok(dhan.get_order_by_id(order_id)))["orderStatus"] == "TRADED" and o, "the fill"
    )
    assert order["tradingSymbol"].startswith("RELIANCE-") and order["drvOptionType"] == "PUT"
    assert (
        "2885 in IDX_I is not an underlying"
        in kit.failed(dhan.expiry_list(reliance, "IDX_I"))["error_message"]
    )


def test_market_quotes_by_rest_are_the_feeds_fallback(stub: RunningDhanStub, dhan: dhanhq, kit: Any) -> None:
    opt = kit.near_the_money(dhan)
    asked = {"NSE_FNO": [int(opt.security_id), 999], "IDX_I": [kit.nifty_id]}
    ltp = kit.ok(dhan.ticker_data(asked))["data"]
    assert set(ltp["NSE_FNO"]) == {opt.security_id}  # an unknown id is left out
    assert 20_000 < ltp["IDX_I"]["13"]["last_price"] < 30_000
    # On a still clock the next quote request falls in the same second, however slow the machine.
    stub.state.limiter = Limiter(stub.state.broker.config.limits, seconds=lambda: 0.0)
    quote = kit.ok(dhan.quote_data({"NSE_FNO": [int(opt.security_id)]}))["data"]["NSE_FNO"][opt.security_id]
    assert len(quote["depth"]["buy"]) == 5
    assert quote["depth"]["buy"][0]["price"] <= quote["last_price"] <= quote["depth"]["sell"][0]["price"]
    assert quote["oi"] > 0
    refused = kit.failed(dhan.ohlc_data({"IDX_I": [kit.nifty_id]}))
    assert (
        refused["error_code"] == "DH-904" and "1 market quote requests per second" in refused["error_message"]
    )
