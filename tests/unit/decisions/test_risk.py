from __future__ import annotations

from decimal import Decimal

from optionpilot.decisions.risk import PortfolioState, RiskConfig, check_risk, stock_fallback
from optionpilot.domain.recommendations import Decision

D = Decimal


def test_position_counts_by_style() -> None:
    full_day = PortfolioState(equity=D(100000), deployed=D(0), open_day_trades=5, open_swing_trades=1)
    assert check_risk(full_day, "day_trade", D(500)).rule == "risk.day_positions"
    assert check_risk(full_day, "swing_trade", D(500)).ok
    full_swing = PortfolioState(equity=D(100000), deployed=D(0), open_swing_trades=2)
    assert check_risk(full_swing, "swing_trade", D(500)).rule == "risk.swing_positions"


def test_at_most_70_percent_deployed() -> None:
    s = PortfolioState(equity=D(1000), deployed=D(450))
    ok = check_risk(s, "day_trade", D(250))
    assert ok.value == D(0)  # exactly 700 deployed, nothing left
    no = check_risk(s, "day_trade", D(251))
    assert not no.ok and no.rule == "risk.deployed" and "700.00" in no.reason


def test_greek_caps_are_off_by_default_and_work_when_set() -> None:
    s = PortfolioState(equity=D(100000), deployed=D(0), net_delta=400.0, net_vega=-50.0)
    assert check_risk(s, "day_trade", D(500), delta=300.0).ok
    cfg = RiskConfig(max_abs_net_delta=500.0, max_abs_net_vega=100.0)
    assert check_risk(s, "day_trade", D(500), delta=150.0, config=cfg).rule == "risk.net_delta"
    assert check_risk(s, "day_trade", D(500), delta=-450.0, config=cfg).ok  # it reduces exposure
    assert check_risk(s, "day_trade", D(500), vega=-60.0, config=cfg).rule == "risk.net_vega"


def test_stock_fallback_says_why() -> None:
    failed: Decision[int] = Decision.no("IV rank 0.91 above 0.80", "selection.iv_rank")
    d = stock_fallback(failed, tradeable=True)
    assert d.value == "stock" and "selection.iv_rank" in d.reason
    assert stock_fallback(failed, tradeable=False).rule == "risk.untradeable"
    assert stock_fallback(failed, tradeable=True, config=RiskConfig(allow_stock_fallback=False)).rule == (
        "risk.no_fallback"
    )
    assert not stock_fallback(Decision.yes(1, "fine"), tradeable=True).ok
