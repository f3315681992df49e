"""scan -> allocate -> execute deploys what it planned, on the shared NSE and SPY chains and the simulator.

On the end-of-day stores the verbs look at the close of the last session, where an entry can only be sent
(it would fill on the next session's quotes): there `entered` is what the desk sent at the planned lots.
Before the plan used the desk's screen, `execute` sent 18% of the simulator's plan and 50% of NSE's.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.deployment import Deployment, measure

NSE = "options/eod/nse_2025/nse_nifty_banknifty_option_chain_20250716_20250717.csv"
SPY = "options/eod/spy_2021"


def deploy(tmp: Path, data: Path | None, capital: int, **allocation: object) -> Deployment:
    db = f"sqlite:///{tmp / 'deploy.sqlite'}"
    cfg = OptionPilotConfig.model_validate(
        {"run": {"db": db, "out": str(tmp)}, "strategies": {"allocation": allocation}}
    )
    return measure(cfg, db, Decimal(capital), data=data, work=tmp)


def accounted_for(d: Deployment) -> None:
    """Every planned position was sent at its lots, or its row says which rule stopped it and why."""
    planned = {p.candidate.candidate_id: p.lots for p in d.plan.positions}
    rows = {r.candidate_id: r for r in d.rows}
    assert set(rows) == set(planned)
    for cid, row in rows.items():
        assert row.lots == planned[cid]
        if not row.sent or row.filled_lots < row.lots:
            assert row.rule and row.reason, row
    assert all(s.rule and s.reason for s in d.plan.skipped)


@pytest.mark.parametrize(("data", "capital"), [(NSE, 1_500_000), (SPY, 121_000)], ids=["nse", "spy"])
@pytest.mark.parametrize("one_per_symbol", [True, False], ids=["best-per-symbol", "several-per-symbol"])
def test_end_of_day_chains_deploy_the_plan(
    shared_data: Path, tmp_path: Path, data: str, capital: int, one_per_symbol: bool
) -> None:
    d = deploy(tmp_path, shared_data / data, capital, one_per_symbol=one_per_symbol)
    assert not d.intraday and d.plan.positions
    assert d.ratio >= 0.90, [x for x in d.left_out() if x.stage == "execute"]
    accounted_for(d)
    assert all("no later quote to fill on" in r.reason for r in d.rows if r.sent and not r.filled_lots)
    symbols = [p.candidate.underlying for p in d.plan.positions]
    if one_per_symbol:
        assert len(symbols) == len(set(symbols))
    for tier, used in d.plan.tier_capital.items():
        assert used <= d.plan.tier_budget[tier]


def test_the_simulator_sends_the_whole_plan(tmp_path: Path) -> None:
    d = deploy(tmp_path, None, 121_000)
    assert d.intraday and len(d.plan.positions) >= 8
    assert d.sent == d.planned  # every planned entry passed the desk's screen, at its planned lots
    assert d.filled > 0
    accounted_for(d)
    # What did not fill says why: a limit at the natural price the market moved away from, or the broker.
    plan = {p.candidate.candidate_id: p for p in d.plan.positions}
    for r in d.rows:
        if r.filled_lots < r.lots:
            assert r.rule in {"multileg.entry.unfilled", "multileg.entry.partial", "multileg.entry.rejected"}
        else:
            # Filled at the plan's price or better: the plan priced a unit at the natural price execute sent.
            p = plan[r.candidate_id]
            c = p.candidate
            planned_price = c.net_debit + (p.unit_capital - c.margin) / c.multiplier
            assert r.entry is not None and r.entry <= planned_price, (r, planned_price)
