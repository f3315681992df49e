"""The point-in-time replay (never after the clock), splits, rates, VIX, IV history, and data check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from optionpilot.adapters.files.importer import ImportResult
from optionpilot.adapters.files.quality import check_store
from optionpilot.adapters.files.replay import ReplayConfig, StoreMarket, open_store_for_backtest
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.calendars import Market
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError, LookAheadError

Store = tuple[DataStore, list[ImportResult]]


def ny(day: date, hh: int, mm: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


def market(store: DataStore, symbols: list[str], at: datetime) -> tuple[StoreMarket, SimulatedClock]:
    clock = SimulatedClock(at)
    return StoreMarket(store, clock, symbols), clock


D23 = date(2015, 12, 23)


def test_chain_and_quotes_are_never_after_the_clock(full_store: Store) -> None:
    store, _ = full_store
    m, clock = market(store, ["GOOG"], ny(D23, 9, 30))
    previous = 0
    for minute in (1, 2, 17, 90, 200, 389, 390):
        now = ny(D23, 9, 30) + timedelta(minutes=minute)
        clock.advance_to(now)
        snap = m.chain("GOOG", max_dte=400)
        assert len(snap) > 0 and snap.quote_ts is not None
        assert snap.quote_ts.max() <= now.timestamp()
        # The newest quote is the bar that just ended: stamped at the clock, not a minute before or after.
        assert snap.quote_ts.max() == now.timestamp()
        assert snap.quote_ts.max() > previous
        previous = int(snap.quote_ts.max())
        for i in range(0, len(snap), 37):
            q = m.quote(snap.contract(i))
            assert q is not None and q.ts <= now
    with pytest.raises(LookAheadError):
        m.bars_between(clock.now(), clock.now() + timedelta(minutes=1))
    with pytest.raises(LookAheadError):
        m.history("GOOG", clock.now() + timedelta(seconds=1), 10)


def test_a_quote_appears_exactly_when_its_bar_ends(full_store: Store) -> None:
    store, _ = full_store
    m, clock = market(store, ["GOOG"], ny(D23, 9, 30))
    snap_open = m.chain("GOOG", max_dte=400)
    # At 09:30 no bar of the day has ended: the chain is the previous session's (none stored) or empty.
    assert len(snap_open) == 0 or snap_open.quote_ts.max() < ny(D23, 9, 30).timestamp()  # type: ignore[union-attr]
    clock.advance_to(ny(D23, 9, 30) + timedelta(seconds=59))
    assert len(m.chain("GOOG", max_dte=400)) == len(snap_open)
    clock.advance_to(ny(D23, 9, 31))
    assert len(m.chain("GOOG", max_dte=400)) > len(snap_open)


def test_bars_are_complete_and_regular_session_only(full_store: Store) -> None:
    store, _ = full_store
    m, clock = market(store, ["GOOG"], ny(D23, 10, 0))
    bars = m.bars_between(ny(D23, 4, 0), clock.now())
    assert bars and all(b.end <= clock.now() for b in bars)
    assert min(b.start for b in bars) >= ny(D23, 9, 30)
    assert (
        m.bars_between(
            ny(D23, 9, 59),
            ny(
                D23,
                9,
                59,
            ),
        )
        == []
    )
    last = m.bars_between(ny(D23, 9, 59), clock.now())
    assert [b.start for b in last] == [ny(D23, 9, 59)]
    assert m.spot("GOOG") == last[0].close


def test_history_is_split_adjusted_as_of_the_clock(full_store: Store) -> None:
    store, _ = full_store
    after = ny(date(2014, 6, 9), 16, 0)
    m, clock = market(store, ["AAPL"], ny(date(2014, 6, 6), 16, 0))
    raw = m.history("AAPL", clock.now(), 5)
    assert raw.close[-1] > 600  # before the split: the price traded then
    clock.advance_to(after)
    h = m.history("AAPL", after, 800)
    jumps = np.abs(np.diff(np.log(h.close)))
    assert jumps.max() < 0.05  # no 7:1 "crash" in the adjusted series
    assert 85 < h.close[0] < 95  # 06-05 at ~645 / 7
    d = m.daily_history("AAPL", date(2014, 6, 10), 5)
    assert np.abs(np.diff(np.log(d.close))).max() < 0.05
    assert [s.day for s in m.splits("AAPL") if s.day.year == 2014] == [date(2014, 6, 9)]


def test_daily_history_refuses_an_unfinished_session(full_store: Store) -> None:
    store, _ = full_store
    m, _ = market(store, ["GOOG"], ny(D23, 12, 0))
    d = m.daily_history("GOOG", D23 + timedelta(days=1), 3)
    assert d.start_s[-1] < ny(D23, 9, 30).timestamp()  # the 23rd is not over: not served
    with pytest.raises(LookAheadError):
        m.daily_history("GOOG", D23 + timedelta(days=5), 3)


def test_rates_interpolate_then_fall_back_with_a_note(full_store: Store) -> None:
    store, _ = full_store
    m, _ = market(store, ["GOOG"], ny(D23, 12, 0))
    r1, r3 = m.risk_free_rate(D23, 30), m.risk_free_rate(D23, 91)
    r2 = m.risk_free_rate(D23, 60)
    assert 0 < r1 < 0.01 and min(r1, r3) <= r2 <= max(r1, r3)
    assert m.notes == []
    with pytest.raises(LookAheadError):
        m.risk_free_rate(D23 + timedelta(days=1), 30)
    spy, _ = market(store, ["SPY"], ny(date(2021, 3, 1), 16, 0))
    assert spy.risk_free_rate(date(2021, 3, 1), 30) == ReplayConfig().fallback_rate
    assert any("fallback" in n for n in spy.notes)


def test_vix_for_a_date_only_after_its_close(full_store: Store) -> None:
    store, _ = full_store
    m, clock = market(store, ["GOOG"], ny(D23, 12, 0))
    assert m.vix(date(2015, 12, 22)) == pytest.approx(16.6)
    with pytest.raises(LookAheadError):
        m.vix(D23)
    clock.advance_to(ny(D23, 16, 30))
    assert m.vix(D23) is not None


def test_atm_iv_history_from_stored_chains(full_store: Store) -> None:
    store, _ = full_store
    m, _ = market(store, ["SPY"], ny(date(2021, 6, 1), 9, 31))
    iv = m.atm_iv_history("SPY", date(2021, 6, 1), 60)
    assert iv.dtype == np.float64 and 30 <= iv.size <= 60
    assert np.all((iv > 0.05) & (iv < 0.6))
    with pytest.raises(LookAheadError):
        m.atm_iv_history("SPY", date(2021, 6, 9), 5)


def test_nse_underlyings_are_european_cash_settled_with_lots(full_store: Store) -> None:
    store, _ = full_store
    spec = open_store_for_backtest(store.root, ["NIFTY"])
    assert (
        spec.market is Market.IN
        and not spec.intraday
        and [s.day for s in spec.sessions]
        == [
            date(2025, 7, 16),
            date(2025, 7, 17),
        ]
    )
    clock = SimulatedClock(spec.sessions[0].close)
    m = spec.open(clock)
    u = m.underlyings()[0]
    assert (u.option_multiplier, u.option_style.value, u.option_settlement.value) == (75, "european", "cash")
    snap = m.chain("NIFTY", max_dte=30)
    assert len(snap) > 100 and 20_000 < snap.spot < 30_000


def test_backtest_specs(full_store: Store) -> None:
    store, _ = full_store
    goog = open_store_for_backtest(store.root, ["GOOG"])
    assert (
        goog.intraday
        and goog.step_minutes == 1
        and [s.day for s in goog.sessions] == [D23, D23 + timedelta(1)]
    )
    vxx = open_store_for_backtest(store.root, ["VXX"])
    assert not vxx.intraday and vxx.step_minutes == 390 and len(vxx.sessions) == 20
    with pytest.raises(ConfigError, match="markets"):
        open_store_for_backtest(store.root, ["GOOG", "NIFTY"])
    with pytest.raises(ConfigError, match="no chains of TSLA"):
        open_store_for_backtest(store.root, ["TSLA"])


def test_data_check_counts(full_store: Store, tmp_path: Path) -> None:
    store, _ = full_store
    flags = tmp_path / "flags.csv"
    reports = {Path(r.source).name: r for r in check_store(store, flags_file=flags)}
    aapl = reports["aapl_minute_trade_20140605_20140609.csv"]
    assert aapl.counts["suspected_corporate_actions"] == 1
    assert any("AAPL 2014-06-09: 7:1 split" in n for n in aapl.notes)
    assert any("AAPL 2014-06-09: 7:1" in n for n in reports["daily_aapl.csv"].notes)
    spy = reports["prod_options_1y.csv"]
    assert (spy.counts["rows"], spy.counts["days"], spy.counts["crossed"]) == (5040, 252, 17)
    goog = reports["goog_option_minute_quotes_20151223_20151224.csv.gz"]
    assert goog.counts["zero_or_missing_bid"] > 0 and goog.counts["contracts"] > 1000
    lines = flags.read_text().splitlines()
    assert lines[0] == "source,line,problem"
    assert any(line.endswith(",crossed quote") and "prod_options_1y.csv" in line for line in lines)
