"""Underlying bar-events per second: the whole flow of the default backtest, and the bare event loop.

    .venv/bin/python benchmarks/backtest.py [--sessions 20] [--repeat 3]

The full run is the default `optionpilot backtest` (10 underlyings x 20 sessions, two accounts, SQLite
in a temporary directory). The bare loop drives the same ticker and market simulator with an empty
strategy: it reads each minute's bars and does nothing else, which is the engine's floor.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.app.backtest import build_backtest
from optionpilot.app.config import OptionPilotConfig
from optionpilot.core.calendars import calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.engine.ticker import MINUTE, BacktestTicker


def full_run(sessions: int, tmp: Path, i: int) -> tuple[int, float, float]:
    cfg = OptionPilotConfig.model_validate(
        {"run": {"db": f"sqlite:///{tmp / f'bench{i}.sqlite'}"}, "market": {"sessions": sessions}}
    )
    t0 = time.perf_counter()
    bt = build_backtest(cfg)
    t1 = time.perf_counter()
    result = bt.runner.run()
    t2 = time.perf_counter()
    return result.bar_events, t1 - t0, t2 - t1


def bare_loop(sessions: int) -> tuple[int, float, float]:
    """Events/s of the engine's floor, and the seconds the simulator took to generate the data first."""
    cfg = OptionPilotConfig().market.model_copy(update={"sessions": sessions})
    days = calendar_for(cfg.market).sessions_ending(cfg.end, cfg.sessions)
    clock = SimulatedClock(days[0].open - MINUTE)
    market = SimulatedMarket(cfg, clock, 7)
    # Generate every session's bars first (as a data feed preloads), so the loop measures dispatch.
    t0 = time.perf_counter()
    for i in range(len(days)):
        market._sessions.bars(market.sessions().index(days[i].day))
    generated = time.perf_counter() - t0
    events = 0
    t0 = time.perf_counter()
    for tick in BacktestTicker(clock, days):
        events += len(market.bars_between(tick.since, tick.now))
    return events, time.perf_counter() - t0, generated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        full_run(1, tmp, 99)  # compile the pricing kernels and import everything once
        best = None
        for i in range(args.repeat):
            events, setup, run = full_run(args.sessions, tmp, i)
            print(f"full flow   run {i + 1}: {events:,} bar-events in {run:.2f}s "
                  f"(+{setup:.2f}s setup) = {events / run:,.0f} events/s")  # fmt: skip
            best = run if best is None else min(best, run)
    assert best is not None
    print(f"full flow   best: {events / best:,.0f} bar-events/s, {best:.2f}s for the default run")
    bare = [bare_loop(args.sessions) for _ in range(args.repeat)]
    events, secs, generated = min(bare, key=lambda x: x[1])
    print(f"bare loop   best: {events:,} bar-events in {secs:.3f}s = {events / secs:,.0f} events/s "
          f"(the simulator generated them in {generated:.3f}s beforehand)")  # fmt: skip


if __name__ == "__main__":
    main()
