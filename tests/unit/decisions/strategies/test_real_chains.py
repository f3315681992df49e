"""The scan, ranking and allocation on real chains: NIFTY and BANKNIFTY (2025) and SPY (2021)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from optionpilot.decisions.strategies.allocation import AllocationConfig, allocate
from optionpilot.decisions.strategies.analysis import market_view
from optionpilot.decisions.strategies.builder import scan_chain
from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.config import ScanConfig
from optionpilot.decisions.strategies.scoring import RiskTolerance, ScoringConfig, rank
from optionpilot.domain.chains import ChainSnapshot

NSE_RATE = 0.055  # RBI repo rate mid-2025


@pytest.mark.parametrize("symbol", ["NIFTY", "BANKNIFTY"])
@pytest.mark.parametrize("day", [date(2025, 7, 16), date(2025, 7, 17)])
def test_nse_scan_builds_at_least_twelve_types(nse_chains: dict, symbol: str, day: date) -> None:
    chain: ChainSnapshot = nse_chains[(symbol, day)]
    scan = scan_chain(chain, rate=NSE_RATE)
    assert len(scan.types()) >= 12
    assert StrategyType.COVERED_CALL not in scan.types()  # an index cannot be bought
    lot = {"NIFTY": 75, "BANKNIFTY": 35}[symbol]
    csp = next(b for b in scan.batches if b.batch.strategy is StrategyType.CASH_SECURED_PUT)
    strikes = chain.strike[csp.batch.rows[:, 0]]
    assert np.allclose(csp.margin, strikes * lot)  # strike x lot size
    for mb in scan.batches:
        m = mb.metrics
        assert np.all((m.pop >= 0) & (m.pop <= 1))
        assert np.all(mb.margin > 0) and np.all(m.max_profit > 0)
        assert np.all(np.isfinite(m.delta))


def test_spy_2021_scan_fits_what_twenty_contracts_allow(spy_chains: dict) -> None:
    types: set[StrategyType] = set()
    for day in (date(2021, 1, 4), date(2021, 6, 1), date(2021, 11, 1)):
        scan = scan_chain(spy_chains[day], ScanConfig(risk_free_rate=0.001, dividend_yield=0.013))
        assert scan.n_candidates > 0
        types |= scan.types()
    assert len(types) >= 12
    assert StrategyType.COVERED_CALL in types  # SPY itself trades


def _nse_candidates(nse_chains: dict, day: date) -> list:
    out = []
    for symbol in ("NIFTY", "BANKNIFTY"):
        chain = nse_chains[(symbol, day)]
        ranking = rank(
            scan_chain(chain, rate=NSE_RATE),
            market_view(chain, vix=11.2),
            RiskTolerance.MODERATE,
            ScoringConfig(per_type=10),
        )
        assert ranking.best is not None and ranking.best.score == max(c.score for c in ranking.candidates)
        out += ranking.candidates
    return out


def test_nse_allocation_fills_within_caps_and_tier_budgets(nse_chains: dict) -> None:
    # Two symbols only, so each may hold half the plan and a dozen strategies.
    cfg = AllocationConfig(one_per_symbol=False, max_per_underlying=15, max_underlying_pct=0.5)
    capital = Decimal(1_500_000)
    plan = allocate(_nse_candidates(nse_chains, date(2025, 7, 17)), capital, cfg)
    assert plan.deployed <= plan.allocatable
    # Tier 1 has too few candidates to fill its 60% within the 8% cap a position: the fill does not pour
    # the rest into tier 2 (it did: 76/24 measured), the plan deploys less and says which budgets held it.
    for tier, used in plan.tier_capital.items():
        assert used <= plan.tier_budget[tier]
    assert plan.tier_capital[2] >= plan.tier_budget[2] - max(p.capital for p in plan.positions)
    assert 0.5 <= plan.deployed_pct < 0.95
    assert "below the 95% target" in plan.reason and "tier 1" in plan.reason
    assert 15 <= len(plan.positions) <= 30
    pos_cap = plan.allocatable * Decimal("0.08")
    per_symbol: dict[str, Decimal] = {}
    for p in plan.positions:
        assert p.capital <= pos_cap
        assert p.lots >= 1 and p.reason
        assert p.candidate.expected_value > 0  # Kelly only sizes positive expectations
        per_symbol[p.candidate.underlying] = per_symbol.get(p.candidate.underlying, Decimal(0)) + p.capital
    assert all(v <= plan.allocatable * Decimal("0.5") for v in per_symbol.values())
    assert all(s.reason for s in plan.skipped)
    assert "not a promise" in plan.reason
