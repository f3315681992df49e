"""How fast the multi-leg scan runs: one chain, then 50 chains (every strategy, every sensible strike).

Chains come from the market simulator: 10 US underlyings at 5 session closes = 50 chains.
Run: .venv/bin/python benchmarks/scan.py
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.core.clock import SimulatedClock
from optionpilot.decisions.strategies.analysis import market_view
from optionpilot.decisions.strategies.builder import scan_chain
from optionpilot.decisions.strategies.scoring import rank
from optionpilot.domain.chains import ChainSnapshot


def sim_chains(count: int) -> list[ChainSnapshot]:
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    market = SimulatedMarket(SimMarketConfig(), clock, seed=7)
    out: list[ChainSnapshot] = []
    for day in market.sessions():
        clock.advance_to(market.calendar.session(day).close - timedelta(minutes=1))
        out += [market.chain(u.symbol, min_dte=1, max_dte=60) for u in market.underlyings()]
        if len(out) >= count:
            return out[:count]
    return out


def timed(label: str, chains: list[ChainSnapshot], repeat: int = 3) -> None:
    best, n = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = 0
        for ch in chains:
            scan = scan_chain(ch)
            rank(scan, market_view(ch))
            n += scan.n_candidates
        best = min(best, time.perf_counter() - t0)
    rows = sum(len(c) for c in chains)
    print(
        f"{label:<44} {len(chains):3d} chains, {rows:7,d} contracts, {n:8,d} candidates: "
        f"{best * 1e3:8.1f} ms  ({n / best:,.0f} candidates/s, scan + score + rank)"
    )


def main() -> None:
    chains = sim_chains(50)
    scan_chain(chains[0])  # compile the pricing kernels outside the timings
    timed("one simulated chain", chains[:1], repeat=5)
    timed("50 simulated chains", chains)


if __name__ == "__main__":
    main()
