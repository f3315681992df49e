"""How fast the market simulator serves a backtest: sessions, bars, chains, quotes, history.

Run: .venv/bin/python benchmarks/sim_market.py
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.core.clock import SimulatedClock


def _timed(label: str, seconds: float, count: int, unit: str = "us") -> None:
    scale = {"us": 1e6, "ms": 1e3}[unit]
    print(f"{label:<52} {seconds * scale / count:10.2f} {unit} per call  ({count} calls)")


def main() -> None:
    t0 = time.perf_counter()
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    market = SimulatedMarket(SimMarketConfig(), clock, seed=7)
    print(f"construction (calendar, 260 days of daily history x 10): {time.perf_counter() - t0:.3f} s")

    # The runner's walk: every minute of 20 sessions, the bars that completed since the last tick.
    events = 0
    t0 = time.perf_counter()
    for day in market.sessions():
        session = market.calendar.session(day)
        last = session.open
        for k in range(1, session.minutes + 1):
            now = session.open + timedelta(minutes=k)
            clock.advance_to(now)
            events += len(market.bars_between(last, now))
            last = now
    walk = time.perf_counter() - t0
    print(f"walk of 20 sessions x 10 symbols: {events} bar-events in {walk:.3f} s "
          f"({events / walk:,.0f} events/s, session generation included)")  # fmt: skip

    clock2 = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    fresh = SimulatedMarket(SimMarketConfig(), clock2, seed=8)
    day = fresh.sessions()[0]
    session = fresh.calendar.session(day)
    clock2.advance_to(session.close)
    t0 = time.perf_counter()
    fresh.bars_between(session.open, session.open + timedelta(minutes=1))
    print(f"one session generated, 10 symbols, with Bars: {(time.perf_counter() - t0) * 1e3:.2f} ms")

    n = 2000
    t0 = time.perf_counter()
    for k in range(n):
        now = session.open + timedelta(minutes=1 + k % 380)
        fresh.bars_between(now - timedelta(minutes=1), now)
    _timed("bars_between, one minute of 10 symbols", time.perf_counter() - t0, n)

    clock.advance_to(clock.now())
    end = clock.now()
    t0 = time.perf_counter()
    for k in range(n):
        market.history("SPY", end - timedelta(minutes=k % 300), 50)
    _timed("history, 50 bars", time.perf_counter() - t0, n)

    start = market.calendar.session(market.sessions()[-1]).open + timedelta(minutes=30)
    clock3 = SimulatedClock(start)
    m3 = SimulatedMarket(SimMarketConfig(), clock3, seed=7)
    m3.chain("SPY")  # the pricing kernels compile on first use; keep that out of the figures
    minute = 0
    for symbol, window in (("SPY", (0, 60)), ("SPY", (0, 1)), ("SPY", (7, 30)), ("AAPL", (0, 60))):
        reps = 40
        rows = 0
        t0 = time.perf_counter()
        for _ in range(reps):
            minute += 1
            clock3.advance_to(start + timedelta(minutes=minute))
            rows = len(m3.chain(symbol, min_dte=window[0], max_dte=window[1]))
        _timed(f"chain {symbol} dte {window}, {rows} rows, uncached", time.perf_counter() - t0, reps, "ms")
    t0 = time.perf_counter()
    for _ in range(n):
        m3.chain("SPY")
    _timed("chain, cached (same minute)", time.perf_counter() - t0, n)

    contract = m3.chain("AAPL", max_dte=30).contract(40)
    later = clock3.now()
    t0 = time.perf_counter()
    for k in range(1, 151):
        clock3.advance_to(later + timedelta(minutes=k))  # a new minute each call: priced afresh
        m3.quote(contract)
    _timed("quote, one contract, new minute (clock step included)", time.perf_counter() - t0, 150)
    t0 = time.perf_counter()
    for _ in range(n):
        m3.quote(contract)
    _timed("quote, repeated in the same minute", time.perf_counter() - t0, n)
    t0 = time.perf_counter()
    for _ in range(n):
        m3.spot("NVDA")
    _timed("spot", time.perf_counter() - t0, n)


if __name__ == "__main__":
    main()
