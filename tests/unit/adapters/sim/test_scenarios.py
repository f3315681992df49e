"""Stress scenarios change the simulated market as described, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from optionpilot.adapters.sim.broker_config import SimBrokerConfig
from optionpilot.adapters.sim.broker_prices import BrokerPrices
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.adapters.sim.scenarios import CalmScenario, CrashScenario, GapScenario, HaltScenario
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError
from optionpilot.domain.instruments import Stock

SYMBOLS = ["SPY", "QQQ", "AAPL", "NVDA"]
BASE = SimMarketConfig(sessions=4, history_sessions=60).only(SYMBOLS)


def _market(cfg: SimMarketConfig, seed: int = 7) -> tuple[SimulatedMarket, SimulatedClock]:
    clock = SimulatedClock(datetime(2024, 1, 1, tzinfo=UTC))
    return SimulatedMarket(cfg, clock, seed), clock


def _with(scenario: object) -> SimMarketConfig:
    return SimMarketConfig.model_validate({**BASE.model_dump(), "scenario": scenario})


def _session(m: SimulatedMarket, k: int) -> tuple[datetime, datetime]:
    s = m.calendar.session(m.sessions()[k])
    return s.open, s.close


def _day(m: SimulatedMarket, clock: SimulatedClock, k: int, symbol: str) -> tuple[float, float, float]:
    """Previous close, open and close of replayed session `k`."""
    _, close = _session(m, k)
    clock.advance_to(close)
    h = m.history(symbol, close, 391)
    return float(h.close[0]), float(h.open[1]), float(h.close[-1])


def _atm_iv(m: SimulatedMarket, symbol: str) -> float:
    chain = m.chain(symbol, min_dte=20, max_dte=45)
    mid = (chain.bid + chain.ask) / 2
    k = int(np.argmin(np.abs(chain.strike - chain.spot) + 1e9 * ~chain.is_call))
    return float(mid[k]) / chain.spot  # ATM call price over spot: proportional to IV at a fixed tenor


def test_a_crash_takes_every_symbol_down_about_ten_percent_and_lifts_implied_volatility() -> None:
    m, clock = _market(_with({"kind": "crash"}))
    base, cb = _market(BASE)
    for symbol in SYMBOLS:
        prev, _, close = _day(m, clock, 2, symbol)
        move = close / prev - 1
        bprev, _, bclose = _day(base, cb, 2, symbol)
        assert -0.17 < move < -0.05, f"{symbol} moved {move:+.2%} on the crash day"
        assert move < bclose / bprev - 1 - 0.05
    # The ATM premium (per unit of spot, at a fixed tenor) rises sharply on the crash day; the baseline's not.
    fresh, clock = _market(_with({"kind": "crash"}))
    base, cb = _market(BASE)
    for c in (clock, cb):
        c.advance_to(_session(fresh, 1)[1])
    before, base_before = _atm_iv(fresh, "SPY"), _atm_iv(base, "SPY")
    for c in (clock, cb):
        c.advance_to(_session(fresh, 2)[1])
    assert _atm_iv(fresh, "SPY") > 1.6 * before
    assert _atm_iv(base, "SPY") < 1.3 * base_before


def test_a_gap_opens_the_session_six_percent_down() -> None:
    m, clock = _market(_with({"kind": "gap"}))
    base, cb = _market(BASE)
    # The sessions before the gap are the baseline's, to the tick.
    assert _day(m, clock, 1, "SPY") == _day(base, cb, 1, "SPY")
    for symbol in SYMBOLS:
        prev, open_, _ = _day(m, clock, 2, symbol)
        bprev, bopen, _ = _day(base, cb, 2, symbol)
        assert open_ / prev - 1 == pytest.approx(bopen / bprev * 0.94 - 1, abs=0.002)


def test_a_halt_freezes_bars_and_withdraws_every_quote() -> None:
    m, clock = _market(_with({"kind": "halt", "symbols": ["QQQ"], "minute": 60, "duration_minutes": 75}))
    base, cb = _market(BASE)
    open_, _ = _session(m, 2)
    prices = BrokerPrices(m, {u.symbol: u for u in m.underlyings()}, SimBrokerConfig())
    clock.advance_to(open_ + timedelta(minutes=60))  # bar 59 traded: not halted yet
    assert not m.halted("QQQ")
    contract = m.chain("QQQ", min_dte=5, max_dte=30).contract(0)
    assert m.quote(contract) is not None
    last = m.spot("QQQ")
    for minute in (61, 100, 135):
        clock.advance_to(open_ + timedelta(minutes=minute))
        assert m.halted("QQQ") and not m.halted("SPY")
        assert m.quote(contract) is None
        assert len(m.chain("QQQ", min_dte=5, max_dte=30).strike) == 0
        assert prices.quote(Stock("QQQ"), clock.now()) is None
        assert prices.missing_quote_reason(contract).endswith("trading in QQQ is halted")
        assert prices.quote(Stock("SPY"), clock.now()) is not None
        assert m.spot("QQQ") == last  # no trade, no new price
    h = m.history("QQQ", clock.now(), 75)
    assert (h.volume == 0).all() and (h.close == last).all()
    clock.advance_to(open_ + timedelta(minutes=136))
    assert not m.halted("QQQ") and m.quote(contract) is not None
    # Reopening at the price the halt hid: the baseline's, which moved meanwhile.
    cb.advance_to(clock.now())
    assert m.spot("QQQ") == base.spot("QQQ")
    assert m.spot("SPY") == base.spot("SPY")


def test_calm_quietens_the_market() -> None:
    m, clock = _market(_with({"kind": "calm"}))
    base, cb = _market(BASE)
    _, close = _session(m, 3)
    clock.advance_to(close)
    cb.advance_to(close)
    for symbol in SYMBOLS:
        r = np.diff(np.log(m.history(symbol, close, 390 * 4).close))
        rb = np.diff(np.log(base.history(symbol, close, 390 * 4).close))
        assert r.std() < 0.6 * rb.std(), symbol
    assert m.volatility_index(m.sessions()[3]) < 0.6 * (base.volatility_index(base.sessions()[3]) or 0)


def test_scenarios_are_deterministic_per_seed() -> None:
    cfg = _with({"kind": "crash"})
    a, ca = _market(cfg)
    b, cb = _market(cfg)
    t = _session(a, 3)[1]
    ca.advance_to(t)
    cb.advance_to(t)
    assert np.array_equal(a.history("NVDA", t, 2000).close, b.history("NVDA", t, 2000).close)


def test_bad_scenarios_are_refused_clearly() -> None:
    with pytest.raises(ValidationError, match="session 2 is beyond the 2 sessions"):
        SimMarketConfig(sessions=2, scenario=CrashScenario())
    with pytest.raises(ValidationError, match="unknown symbols"):
        SimMarketConfig(scenario=HaltScenario(symbols=("XYZ",)))
    with pytest.raises(ValidationError):
        GapScenario(session=0)  # a gap needs a session before it
    with pytest.raises(ConfigError, match="none of its symbols"):
        SimMarketConfig(scenario=HaltScenario(symbols=("NVDA",))).only(["SPY"])
    assert CalmScenario().session == 0
    assert BASE.scenario is None and isinstance(_with({"kind": "gap"}).scenario, GapScenario)
