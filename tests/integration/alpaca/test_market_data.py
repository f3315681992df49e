"""The adapter against the stub, answer by answer against the simulator the stub serves, at the same clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from optionpilot.adapters.alpaca.market_data import EP_CHAIN
from optionpilot.core.errors import LookAheadError
from optionpilot.domain.chains import ChainSnapshot

from .conftest import Rig, RigFactory


def _rows(chain: ChainSnapshot) -> dict[tuple[object, float, bool], tuple[float, float, int, int, int, int]]:
    return {
        (chain.expiry[i], float(chain.strike[i]), bool(chain.is_call[i])): (
            float(chain.bid[i]),
            float(chain.ask[i]),
            int(chain.bid_size[i]),
            int(chain.ask_size[i]),
            int(chain.volume[i]),
            int(chain.open_interest[i]),
        )
        for i in range(len(chain))
    }


@pytest.fixture
def small(rig_factory: RigFactory) -> Rig:
    # A short chain window keeps the stub's pricing quick; the logic is the same for 60 days.
    return rig_factory(adapter={"chain_max_dte": 9})


def test_bars_spot_and_history_equal_the_simulator(small: Rig) -> None:
    data, ref = small.data, small.reference
    now = small.clock.now()
    opened = now - timedelta(minutes=30)
    assert sorted(data.bars_between(opened, now)) == sorted(ref.bars_between(opened, now))
    for u in ref.underlyings():
        assert data.spot(u.symbol) == ref.spot(u.symbol)
    mine, theirs = data.history("AAPL", now, 200), ref.history("AAPL", now, 200)
    assert len(mine) == 200
    assert np.array_equal(mine.start_s, theirs.start_s) and np.array_equal(mine.close, theirs.close)
    today = ref.calendar.local_date(now)
    mine, theirs = data.daily_history("SPY", today, 20), ref.daily_history("SPY", today, 20)
    assert len(mine) == 20
    for field in ("start_s", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(mine, field), getattr(theirs, field)), field

    later = small.advance(3, seconds=30)
    step = data.bars_between(now, later)
    assert sorted(step) == sorted(ref.bars_between(now, later))
    assert len(step) == 3 * len(ref.underlyings())  # three complete minutes, not the half one
    assert all(b.end <= later for b in step)
    assert data.spot("QQQ") == ref.spot("QQQ")


def test_chain_and_quotes_equal_the_simulator_with_unpriceable_rows_skipped(small: Rig) -> None:
    data, ref = small.data, small.reference
    mine, theirs = data.chain("SPY", max_dte=9), ref.chain("SPY", max_dte=9)
    expected = _rows(theirs.select(theirs.ask > 0))
    assert len(mine) > 100 and _rows(mine) == expected
    assert int(mine.volume.sum()) > 0 and int(mine.open_interest.sum()) > 0
    assert mine.spot == theirs.spot
    no_ask = int((theirs.ask <= 0).sum())
    assert data.skipped.get("chain: no ask (zero or missing)", 0) == no_ask
    narrow = data.chain("SPY", min_dte=2, max_dte=5)
    assert _rows(narrow) == _rows(theirs.select((theirs.ask > 0) & _dte_between(theirs, 2, 5, small)))
    for i in range(0, len(mine), max(len(mine) // 7, 1)):
        contract = mine.contract(i)
        assert data.quote(contract) == ref.quote(contract)
    greeks = data.greeks(mine.contract(len(mine) // 2))
    assert greeks is not None and set(greeks) == {"iv", "delta", "gamma", "theta", "vega", "rho"}
    before = dict(data.requests.calls)

    small.advance(seconds=30)  # within chain_refresh_s: answered from the cache
    data.chain("SPY", max_dte=9)
    data.quote(mine.contract(0))
    assert dict(data.requests.calls) == before

    small.advance(2)  # past it: one refresh, and the quotes move with the simulator
    moved = ref.chain("SPY", max_dte=9)
    # Open interest is asked once a session; a strike the stub lists only now has none (0) until tomorrow.
    quotes = {k: v[:5] for k, v in _rows(data.chain("SPY", max_dte=9)).items()}
    assert quotes == {k: v[:5] for k, v in _rows(moved.select(moved.ask > 0)).items()}
    assert data.requests.calls[EP_CHAIN] == before[EP_CHAIN] + 1


def _dte_between(chain: ChainSnapshot, lo: int, hi: int, rig: Rig) -> np.ndarray:
    today = np.datetime64(rig.reference.calendar.local_date(rig.clock.now()), "D")
    days = (chain.expiry - today).astype(np.int64)
    return np.asarray((days >= lo) & (days <= hi))


def test_news_equal_the_simulator(small: Rig) -> None:
    data, ref = small.data, small.reference
    now = small.clock.now()
    start = now - timedelta(hours=3)
    mine, theirs = data.news_between(start, now), ref.news_between(start, now)
    assert len(mine) == len(theirs) > 0
    assert sorted((n.ts, n.headline, n.tickers) for n in mine) == sorted(
        (n.ts, n.headline, n.tickers) for n in theirs
    )


def test_nothing_after_the_clock(small: Rig) -> None:
    data = small.data
    now = small.clock.now()
    today = data.calendar.local_date(now)
    with pytest.raises(LookAheadError, match="bars_between"):
        data.bars_between(now - timedelta(minutes=5), now + timedelta(minutes=1))
    with pytest.raises(LookAheadError, match="history"):
        data.history("SPY", now + timedelta(seconds=1), 5)
    with pytest.raises(LookAheadError, match="news_between"):
        data.news_between(now, now + timedelta(minutes=1))
    with pytest.raises(LookAheadError, match="daily_history"):
        data.daily_history("SPY", today + timedelta(days=1), 5)  # today's session is still open
    with pytest.raises(LookAheadError, match="atm_iv_history"):
        data.atm_iv_history("SPY", today + timedelta(days=1), 5)
    with pytest.raises(LookAheadError, match="risk_free_rate"):
        data.risk_free_rate(today + timedelta(days=1), 30)
    small.advance(seconds=59)
    bars = data.bars_between(now - timedelta(minutes=2), small.clock.now())
    assert bars and all(b.end <= small.clock.now() for b in bars)
    assert max(b.start for b in bars) == now - timedelta(minutes=1)  # the running minute is not served


def test_a_quote_outside_the_cached_chain_widens_it_once(rig_factory: RigFactory) -> None:
    rig = rig_factory(adapter={"chain_max_dte": 3})
    data, ref = rig.data, rig.reference
    later = ref.chain("SPY", min_dte=8, max_dte=12)
    i = int(np.flatnonzero(later.ask > 0)[0])
    contract = later.contract(i)
    assert data.quote(contract) == ref.quote(contract) == later.quote(i)
    asked = data.requests.calls[EP_CHAIN]
    dte = (contract.expiry - ref.calendar.local_date(rig.clock.now())).days
    assert data.quote(contract) == later.quote(i) and len(data.chain("SPY", max_dte=dte)) > 0
    assert data.requests.calls[EP_CHAIN] == asked  # the wider window is now the cached one
    unlisted = replace(contract, strike=Decimal("5"))
    assert data.quote(unlisted) is None and data.quote(unlisted) is None
    assert data.requests.calls[EP_CHAIN] == asked + 1  # the band widened once, not a request per quote
    assert data.quote(replace(contract, underlying="NOPE")) is None
