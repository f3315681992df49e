from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.sim.market_config import PlantedEvent, SimMarketConfig
from optionpilot.adapters.sim.news import PLANTED_SOURCE
from optionpilot.core.calendars import Market
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError, DataError, LookAheadError
from optionpilot.domain.instruments import OptionContract, OptionRight
from optionpilot.ports.market_data import MarketData

CFG = SimMarketConfig(sessions=3, history_sessions=260)


def _market(cfg: SimMarketConfig = CFG, seed: int = 7) -> tuple[SimulatedMarket, SimulatedClock]:
    clock = SimulatedClock(datetime(2024, 1, 1, tzinfo=UTC))
    return SimulatedMarket(cfg, clock, seed), clock


def _open(m: SimulatedMarket, k: int = 0) -> datetime:
    return m.calendar.session(m.sessions()[k]).open


def test_it_is_a_market_data_port() -> None:
    m, _ = _market()
    port: MarketData = m
    assert [u.symbol for u in port.underlyings()][:3] == ["SPY", "QQQ", "IWM"]
    assert list(m.sessions()) == [date(2026, 10, 28), date(2026, 10, 29), date(2026, 10, 30)]


def test_bars_are_visible_only_once_complete() -> None:
    m, clock = _market()
    t0 = _open(m)
    clock.advance_to(t0 + timedelta(seconds=59))
    assert m.bars_between(t0 - timedelta(hours=1), clock.now()) == []
    clock.advance_to(t0 + timedelta(minutes=1))
    bars = m.bars_between(t0, clock.now())
    assert len(bars) == 10 and {b.start for b in bars} == {t0}
    assert m.spot("SPY") == next(b.close for b in bars if b.symbol == "SPY")
    with pytest.raises(LookAheadError):
        m.bars_between(t0, t0 + timedelta(minutes=2))
    with pytest.raises(LookAheadError):
        m.history("SPY", t0 + timedelta(minutes=2), 5)
    with pytest.raises(LookAheadError):
        m.news_between(t0, t0 + timedelta(minutes=2))


def test_a_whole_session_of_minute_bars() -> None:
    m, clock = _market()
    s = m.calendar.session(m.sessions()[0])
    clock.advance_to(s.close)
    bars = m.bars_between(s.open, s.close)
    assert len(bars) == 390 * 10
    spy = [b for b in bars if b.symbol == "SPY"]
    assert [b.start for b in spy] == [s.open + timedelta(minutes=k) for k in range(390)]
    assert all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close) for b in spy)


def test_history_crosses_sessions_and_ends_at_end() -> None:
    m, clock = _market()
    t = _open(m, 1) + timedelta(minutes=10, seconds=30)
    clock.advance_to(t)
    h = m.history("QQQ", t, 50)
    assert len(h) == 50
    assert h.start_s[-1] + 60 <= t.timestamp() and h.start_s[-1] == _open(m, 1).timestamp() + 9 * 60
    assert h.start_s[-11] == m.calendar.session(m.sessions()[0]).close.timestamp() - 60
    assert h.close[-1] == m.spot("QQQ")
    assert len(m.history("QQQ", t, 10_000)) == 390 * 2 + 10  # warm-up session, first session, 10 bars


def test_early_close_sessions_have_fewer_bars() -> None:
    m, clock = _market(SimMarketConfig(end=date(2025, 11, 28), sessions=2, history_sessions=5))
    s = m.calendar.session(date(2025, 11, 28))
    clock.advance_to(s.close + timedelta(hours=1))
    assert len(m.history("SPY", clock.now(), 1000)) == 390 * 2 + 210
    assert len(m.bars_between(s.open, clock.now())) == 210 * 10


def test_daily_history_and_iv_history_before_the_first_session() -> None:
    m, clock = _market()
    first = m.sessions()[0]
    clock.advance_to(_open(m) + timedelta(minutes=5))
    d = m.daily_history("SPY", first, 252)
    assert len(d) == 252 and np.all(d.close > 0)
    # The last daily bar is the warm-up session, aggregated from its minutes.
    warm = m.history("SPY", _open(m), 390)
    assert (
        d.close[-1] == warm.close[-1] and d.high[-1] == warm.high.max() and d.volume[-1] == warm.volume.sum()
    )
    iv = m.atm_iv_history("SPY", first, 252)
    assert iv.shape == (252,) and np.all((iv > 0.03) & (iv < 1.5))
    with pytest.raises(LookAheadError):
        m.daily_history("SPY", first + timedelta(days=1), 5)
    with pytest.raises(LookAheadError):
        m.atm_iv_history("SPY", first + timedelta(days=1), 5)


def test_chain_and_quote_agree_in_either_order() -> None:
    m1, c1 = _market()
    m2, c2 = _market()
    t = _open(m1) + timedelta(minutes=47)
    c1.advance_to(t)
    c2.advance_to(t)
    chain = m1.chain("AAPL", max_dte=45)
    assert len(chain) > 100 and chain.ts == t
    rows = range(0, len(chain), max(len(chain) // 150, 1))
    for i in rows:
        c = chain.contract(i)
        assert m1.quote(c) == chain.quote(i)
        assert m2.quote(c) == chain.quote(i)  # priced alone, before any chain
    chain2 = m2.chain("AAPL", max_dte=45)
    np.testing.assert_array_equal(chain.bid, chain2.bid)
    np.testing.assert_array_equal(chain.open_interest, chain2.open_interest)


def test_chain_contents_are_sane() -> None:
    m, clock = _market()
    clock.advance_to(_open(m) + timedelta(minutes=90))
    ch = m.chain("SPY", min_dte=0, max_dte=30)
    today = m.sessions()[0]
    dte = (ch.expiry - np.datetime64(today, "D")).astype(int)
    assert dte.min() == 0 and dte.max() <= 30
    assert np.all(np.abs(np.log(ch.strike / ch.spot)) <= 0.25 + 1e-9)
    good = (ch.bid > 0) & (ch.ask > 0)
    assert good.mean() > 0.8 and np.all(ch.ask[good] > ch.bid[good])
    assert np.all(ch.strike[np.abs(ch.strike - ch.spot) < 20] % 1 == 0)
    atm = good & (np.abs(ch.strike - ch.spot) < 2) & (dte >= 7)
    assert np.all((ch.ask[atm] - ch.bid[atm]) / ch.mid[atm] < 0.08)
    assert np.all(ch.open_interest[atm] >= 500) and np.all(ch.volume[atm] >= 200)
    # Volume accumulates through the session.
    later = m.chain("SPY", max_dte=30)
    clock.advance_to(clock.now() + timedelta(hours=2))
    later = m.chain("SPY", max_dte=30)
    i = later.find(ch.contract(int(np.flatnonzero(atm)[0])))
    assert i is not None and later.volume[i] > ch.volume[np.flatnonzero(atm)[0]]


def test_quote_is_none_for_what_is_not_listed() -> None:
    m, clock = _market()
    clock.advance_to(_open(m) + timedelta(minutes=30))
    today = m.sessions()[0]
    c = m.chain("SPY", max_dte=5).contract(0)
    assert m.quote(c) is not None
    assert m.quote(OptionContract("SPY", c.expiry, c.strike + Decimal("0.5"), OptionRight.CALL)) is None
    assert m.quote(OptionContract("SPY", today - timedelta(days=1), c.strike, OptionRight.CALL)) is None
    assert m.quote(OptionContract("SPY", date(2026, 10, 31), c.strike, OptionRight.CALL)) is None  # Saturday
    assert m.quote(OptionContract("XYZ", c.expiry, c.strike, OptionRight.CALL)) is None
    with pytest.raises(DataError):
        m.spot("XYZ")


def test_same_seed_same_market_and_symbols_are_independent() -> None:
    a, ca = _market()
    b, cb = _market()
    nv, cn = _market(CFG.only(["NVDA", "SPY"]))
    other, co = _market(seed=8)
    s = m_session = a.calendar.session(a.sessions()[1])
    for clock in (ca, cb, cn, co):
        clock.advance_to(s.close)
    assert a.bars_between(s.open, s.close) == b.bars_between(s.open, s.close)
    assert a.news_between(s.open, s.close) == b.news_between(s.open, s.close)
    np.testing.assert_array_equal(
        a.history("NVDA", s.close, 800).close, nv.history("NVDA", s.close, 800).close
    )
    assert not np.array_equal(
        a.history("NVDA", s.close, 800).close, other.history("NVDA", s.close, 800).close
    )
    assert m_session.day == a.sessions()[1]


def test_planted_volume_surge_with_bullish_news_moves_the_price() -> None:
    ev = PlantedEvent(
        symbol="NVDA",
        session=1,
        minute=60,
        duration_minutes=20,
        volume_multiple=6.0,
        headline="NVDA beats estimates, raises guidance",
        tone=0.9,
        drift_pct=0.015,
    )
    m, clock = _market(CFG.model_copy(update={"planted": (ev,)}))
    base, cb = _market()
    t0 = _open(m, 1)
    clock.advance_to(t0 + timedelta(minutes=60))
    planted = [n for n in m.news_between(t0, clock.now()) if n.source == PLANTED_SOURCE]
    assert planted == []  # published at the start of minute 60, not before
    clock.advance_to(t0 + timedelta(minutes=60, seconds=1))
    (item,) = [n for n in m.news_between(t0, clock.now()) if n.tickers == ("NVDA",) and "beats" in n.headline]
    assert item.ts == t0 + timedelta(minutes=60) and m.news_tone(item.id) == 0.9
    end = t0 + timedelta(minutes=80)
    clock.advance_to(end)
    cb.advance_to(end)
    h, hb = m.history("NVDA", end, 80), base.history("NVDA", end, 80)
    assert h.volume[-20:].sum() > 4 * hb.volume[-20:].sum()
    ret = h.close[-1] / h.close[-21] - 1
    assert ret > 0.01


def test_look_ahead_on_rates_and_the_clock_state() -> None:
    m, clock = _market()
    clock.advance_to(_open(m) + timedelta(minutes=1))
    assert m.risk_free_rate(m.sessions()[0], 30) == pytest.approx(0.04)
    with pytest.raises(LookAheadError):
        m.risk_free_rate(m.sessions()[1], 30)
    assert m.dividend_yield("SPY") == pytest.approx(0.012)


def test_quotes_before_the_open_are_the_last_close_and_stale() -> None:
    m, clock = _market()
    prev_close = m.calendar.session(m.calendar.previous_session(m.sessions()[0])).close
    clock.advance_to(_open(m) - timedelta(minutes=30))
    ch = m.chain("SPY", max_dte=3)
    assert ch.ts == prev_close
    assert m.spot("SPY") == m.history("SPY", clock.now(), 1).close[-1]
    assert np.all(ch.volume == 0)  # nothing traded yet today


def test_india_config_uses_the_nse_calendar_lots_and_strikes() -> None:
    m, clock = _market(SimMarketConfig.india(sessions=2, history_sessions=30))
    assert m.calendar.market is Market.IN
    s = m.calendar.session(m.sessions()[0])
    assert s.minutes == 375
    clock.advance_to(s.open + timedelta(minutes=20))
    ch = m.chain("NIFTY", max_dte=20)
    assert len(ch) > 0 and np.all(ch.strike % 50 == 0)
    c = ch.contract(0)
    assert c.multiplier == 75 and c.market is Market.IN
    assert m.quote(c) == ch.quote(0)
    assert all(d.weekday() in (0, 1) for d in ch.expiries())
    assert m.underlyings()[1].option_multiplier == 35


def test_bad_config_is_refused_with_a_named_reason() -> None:
    with pytest.raises(ValueError, match="unknown symbol"):
        SimMarketConfig(planted=(PlantedEvent(symbol="XYZ", session=0, minute=1),))
    with pytest.raises(ConfigError, match="minute 400"):
        _market(CFG.model_copy(update={"planted": (PlantedEvent(symbol="SPY", session=0, minute=400),)}))
    with pytest.raises(ConfigError):
        CFG.only(["SPY", "XYZ"])
    with pytest.raises(ConfigError):
        SimulatedMarket(CFG, SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC)), -1)


def test_volatility_index_is_the_index_underlyings_atm_iv_once_its_session_closed() -> None:
    m, clock = _market()
    first = _open(m)
    clock.advance_to(first + timedelta(minutes=30))
    today = m.calendar.local_date(first)
    prev = m.calendar.previous_session(today)
    vix = m.volatility_index(prev)
    assert vix is not None and vix == pytest.approx(100.0 * float(m.atm_iv_history("SPY", today, 1)[-1]))
    with pytest.raises(LookAheadError):
        m.volatility_index(today)  # today's close is still to come
    only_aapl = _market(CFG.only(["AAPL"]))[0]
    assert only_aapl.volatility_index(prev) is None
