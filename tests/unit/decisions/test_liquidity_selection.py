from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from optionpilot.core.errors import DataError
from optionpilot.decisions.liquidity import LiquidityConfig, check_liquidity, spread_pct_of_mid
from optionpilot.decisions.selection import SelectionConfig, chain_deltas, select_contract
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import Underlying

D = Decimal
TODAY = date(2024, 3, 4)
TS = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 New York


def test_spread_measured_on_the_mid() -> None:
    assert spread_pct_of_mid(2.50, 2.55) == pytest.approx(0.05 / 2.525)  # 1.98%, not 2.0% on the bid
    d = check_liquidity(D("2.50"), D("2.55"), 1000, 500, date(2024, 3, 5), TODAY, "day_trade")
    assert d.ok and d.value == pytest.approx(0.019802, abs=1e-6)


@pytest.mark.parametrize(
    ("bid", "ask", "oi", "vol", "expiry", "style", "rule"),
    [
        ("1.00", "1.09", 1000, 500, date(2024, 3, 5), "day_trade", "liquidity.spread"),  # 8.6% > 8%
        ("0.20", "0.22", 1000, 500, date(2024, 3, 5), "day_trade", "liquidity.min_premium"),
        ("1.00", "1.02", 499, 500, date(2024, 3, 5), "day_trade", "liquidity.open_interest"),
        ("1.00", "1.02", 500, 199, date(2024, 3, 5), "day_trade", "liquidity.volume"),
        ("1.00", "1.02", 500, 200, date(2024, 3, 1), "day_trade", "liquidity.expired"),
        ("0", "1.02", 500, 200, date(2024, 3, 5), "day_trade", "liquidity.no_quote"),
        ("1.10", "1.02", 500, 200, date(2024, 3, 5), "day_trade", "liquidity.crossed"),
    ],
)
def test_each_failure_names_its_rule(
    bid: str, ask: str, oi: int, vol: int, expiry: date, style: str, rule: str
) -> None:
    d = check_liquidity(D(bid), D(ask), oi, vol, expiry, TODAY, style)
    assert not d.ok and d.rule == rule


def test_swing_spread_is_wider_and_thresholds_are_config() -> None:
    assert check_liquidity(D("1.00"), D("1.09"), 1000, 500, date(2024, 3, 20), TODAY, "swing_trade").ok
    strict = LiquidityConfig(min_open_interest=2000)
    assert check_liquidity(D("1.00"), D("1.02"), 1000, 500, TODAY, TODAY, "day_trade", strict).rule == (
        "liquidity.open_interest"
    )


def chain(rows: list[tuple[str, float, bool, float, float, int, int]], spot: float = 100.0) -> ChainSnapshot:
    n = len(rows)
    return ChainSnapshot(
        underlying=Underlying("SPY"),
        ts=TS,
        spot=spot,
        expiry=np.array([np.datetime64(r[0], "D") for r in rows]),
        strike=np.array([r[1] for r in rows]),
        is_call=np.array([r[2] for r in rows]),
        bid=np.array([r[3] for r in rows]),
        ask=np.array([r[4] for r in rows]),
        bid_size=np.full(n, 10),
        ask_size=np.full(n, 10),
        volume=np.array([r[5] for r in rows], dtype=np.int64),
        open_interest=np.array([r[6] for r in rows], dtype=np.int64),
    )


ROWS = [
    # expiry, strike, call, bid, ask, volume, OI
    ("2024-03-05", 101.0, True, 1.00, 1.05, 300, 800),  # 0: nearest the 101.5 target, ordinary
    ("2024-03-05", 102.0, True, 0.80, 0.82, 900, 5000),  # 1: tight and busy: the best
    ("2024-03-05", 103.0, True, 0.50, 0.60, 900, 5000),  # 2: spread 18% of mid
    ("2024-03-05", 100.0, True, 1.50, 1.55, 100, 5000),  # 3: volume 100
    ("2024-03-05", 102.0, False, 2.00, 2.02, 900, 5000),  # 4: a put
    ("2024-03-15", 102.0, True, 1.80, 1.82, 900, 5000),  # 5: 11 DTE, outside the day window
    ("2024-03-05", 110.0, True, 0.40, 0.41, 900, 5000),  # 6: far from the target
]


def test_quality_beats_proximity_and_every_candidate_has_a_reason() -> None:
    res = select_contract(chain(ROWS), "bullish", "day_trade", iv_rank=0.3, today=TODAY)
    d = res.decision
    assert d.value is not None and d.value.index == 1, d.reason
    assert d.value.target_strike == pytest.approx(101.5)
    assert d.value.dte == 1 and np.isnan(d.value.delta)
    assert res.candidates == 4
    by_row = {r.index: r.rule for r in res.rejections}
    assert by_row == {0: "selection.outscored", 2: "liquidity.spread", 3: "liquidity.volume"}
    expected = 0.4 * (1 - (0.02 / 0.81) / 0.08) + 0.3 + 0.2
    assert d.value.score == pytest.approx(expected)


def test_puts_for_bearish_and_swing_window() -> None:
    res = select_contract(chain(ROWS), "bearish", "day_trade", today=TODAY)
    assert res.decision.value is None and res.decision.rule == "selection.no_candidate"  # target 98.5
    put = select_contract(chain(ROWS, spot=102.0), "bearish", "swing_trade", today=TODAY)
    assert put.decision.rule == "selection.no_candidate"
    swing = select_contract(chain(ROWS, spot=102.0), "bullish", "swing_trade", today=TODAY)
    assert swing.decision.value is not None and swing.decision.value.index == 5


def test_iv_rank_filter() -> None:
    res = select_contract(chain(ROWS), "bullish", "day_trade", iv_rank=0.85, today=TODAY)
    assert not res.decision.ok and res.decision.rule == "selection.iv_rank"
    unknown = select_contract(
        chain(ROWS), "bullish", "day_trade", today=TODAY, config=SelectionConfig(require_iv_rank=True)
    )
    assert unknown.decision.rule == "selection.iv_rank_unknown"


def test_none_liquid_reports_counts() -> None:
    rows = [("2024-03-05", 101.0, True, 0.10, 0.30, 10, 10), ("2024-03-05", 102.0, True, 1.0, 1.02, 10, 10)]
    res = select_contract(chain(rows), "bullish", "day_trade", today=TODAY)
    assert res.decision.rule == "selection.illiquid"
    assert (
        "liquidity.min_premium x1" in res.decision.reason
        and "liquidity.open_interest x1" in res.decision.reason
    )


def test_black_scholes_deltas_and_delta_band() -> None:
    rows = [("2024-03-22", float(k), True, 2.0, 2.05, 900, 5000) for k in np.arange(90.0, 110.5, 0.25)]
    c = chain(rows)
    cfg = SelectionConfig(candidates_by="delta")
    res = select_contract(c, "bullish", "swing_trade", volatility=0.2, today=TODAY, config=cfg)
    d = res.decision
    assert d.value is not None and 0.50 <= d.value.delta <= 0.60
    deltas = chain_deltas(c, 0.2, cfg)
    band = np.flatnonzero((deltas >= 0.5) & (deltas <= 0.6))
    assert res.candidates == band.size >= 2
    # Identical liquidity everywhere: the delta fit decides, so the delta nearest 0.55 wins.
    assert d.value.index == band[np.argmin(np.abs(deltas[band] - 0.55))]
    assert {r.index for r in res.rejections} == set(band.tolist()) - {d.value.index}
    with pytest.raises(DataError, match="delta"):
        select_contract(c, "bullish", "swing_trade", today=TODAY, config=cfg)


def test_conservative_targets_in_the_money() -> None:
    cfg = SelectionConfig(conservative=True)
    rows = [
        ("2024-03-15", 98.5, True, 2.0, 2.05, 900, 5000),
        ("2024-03-15", 101.5, True, 1.0, 1.02, 900, 5000),
    ]
    res = select_contract(chain(rows), "bullish", "swing_trade", today=TODAY, config=cfg)
    assert res.decision.value is not None and res.decision.value.target_strike == pytest.approx(98.5)
    assert res.decision.value.strike == 98.5
