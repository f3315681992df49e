"""Market analysis, scoring, risk tolerance and the allocator's rules on small hand-made inputs."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest

from optionpilot.core.errors import ConfigError, DataError
from optionpilot.decisions.strategies.allocation import (
    AllocationConfig,
    IndustryWeight,
    PositionType,
    allocate,
    kelly_of,
)
from optionpilot.decisions.strategies.analysis import (
    Direction,
    IVEnvironment,
    VixRegime,
    VolBucket,
    iv_environment,
    market_view,
    rsi,
    vix_regime,
    volatility_bucket,
)
from optionpilot.decisions.strategies.builder import scan_chain
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import StrategyType as T
from optionpilot.decisions.strategies.config import ScanConfig
from optionpilot.decisions.strategies.scoring import (
    RiskTolerance,
    ScoreWeights,
    conviction_of,
    rank,
)

from .synthetic import flat_chain


def test_conviction_thresholds() -> None:
    assert conviction_of(0.80) is Conviction.VERY_HIGH
    assert conviction_of(0.7999) is Conviction.HIGH
    assert conviction_of(0.65) is Conviction.HIGH
    assert conviction_of(0.45) is Conviction.MEDIUM
    assert conviction_of(0.4499) is Conviction.LOW


def test_seed_weights() -> None:
    w = ScoreWeights()
    assert (w.time_decay_profile, w.complexity_penalty, w.market_momentum) == (0.08, 0.05, 0.12)
    assert sum(w.model_dump().values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="extra"):
        ScoreWeights(unknown=0.1)  # type: ignore[call-arg]


def test_direction_from_prices() -> None:
    chain = flat_chain()
    up = np.linspace(80, 100, 60)
    v = market_view(chain, up)
    assert v.direction is Direction.BULLISH and v.momentum > 0 and v.rsi == 100.0
    down = market_view(chain, up[::-1])
    assert down.direction is Direction.BEARISH
    flat = market_view(chain, None)
    assert flat.direction is Direction.NEUTRAL and not flat.has_history and "no price history" in flat.reason
    with pytest.raises(DataError, match="closes"):
        market_view(chain, np.array([100.0, -1.0]))


def test_rsi_and_regimes() -> None:
    zigzag = np.array([100, 101, 100, 101, 100, 101, 100, 101, 100, 101, 100, 101, 100, 101, 100, 101.0])
    assert rsi(zigzag, 14) == pytest.approx(50.0, abs=4)
    assert iv_environment(10) is IVEnvironment.LOW and iv_environment(90) is IVEnvironment.HIGH
    assert iv_environment(None) is IVEnvironment.NORMAL
    assert (
        vix_regime(12) is VixRegime.LOW
        and vix_regime(30) is VixRegime.HIGH
        and vix_regime(18) is VixRegime.NORMAL
    )
    assert volatility_bucket(0.1) is VolBucket.LOW and volatility_bucket(float("nan")) is VolBucket.HIGH


def test_put_call_ratio() -> None:
    chain = flat_chain()
    chain.open_interest[~chain.is_call] *= 2
    v = market_view(chain)
    assert v.pcr_oi == pytest.approx(2.0) and v.pcr_volume == pytest.approx(1.0)


def test_risk_tolerance_changes_what_is_allowed() -> None:
    scan = scan_chain(flat_chain(vol=0.3), ScanConfig(risk_free_rate=0.0))
    view = market_view(scan.prepared.chain)
    cons = rank(scan, view, RiskTolerance.CONSERVATIVE)
    aggr = rank(scan, view, RiskTolerance.AGGRESSIVE)
    kinds_c = {c.strategy for c in cons.candidates}
    kinds_a = {c.strategy for c in aggr.candidates}
    assert not kinds_c & {T.SHORT_STRADDLE, T.SHORT_STRANGLE, T.CALL_RATIO_SPREAD, T.PUT_RATIO_SPREAD}
    assert all(c.max_loss is not None and c.pop >= 0.45 for c in cons.candidates)
    assert T.SHORT_STRANGLE in kinds_a
    assert any("not allowed for a conservative" in k for k in cons.excluded)
    scores = [c.score for c in aggr.candidates]
    assert scores == sorted(scores, reverse=True)
    c = aggr.candidates[0]
    assert set(c.components) == set(ScoreWeights().model_dump())
    assert c.conviction is conviction_of(c.confidence)


def test_direction_moves_the_ranking() -> None:
    scan = scan_chain(flat_chain(vol=0.3), ScanConfig(risk_free_rate=0.0))
    bull = rank(scan, market_view(scan.prepared.chain, np.linspace(80, 100, 60)), RiskTolerance.AGGRESSIVE)
    bear = rank(scan, market_view(scan.prepared.chain, np.linspace(100, 80, 60)), RiskTolerance.AGGRESSIVE)
    lc_bull = max(c.score for c in bull.candidates if c.strategy is T.LONG_CALL)
    lc_bear = max(c.score for c in bear.candidates if c.strategy is T.LONG_CALL)
    assert lc_bull > lc_bear


# --- allocation ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> StrategyCandidate:
    scan = scan_chain(flat_chain(vol=0.3), ScanConfig(risk_free_rate=0.0))
    return rank(scan, market_view(scan.prepared.chain), RiskTolerance.AGGRESSIVE).candidates[0]


def cand(
    t: StrategyCandidate,
    i: int,
    *,
    symbol: str = "XYZ",
    kind: T = T.IRON_CONDOR,
    score: float = 0.7,
    conviction: Conviction = Conviction.HIGH,
    margin: str = "1000",
    ev: str = "50",
    pop: float = 0.6,
) -> StrategyCandidate:
    return dataclasses.replace(
        t,
        candidate_id=f"c{i}",
        underlying=symbol,
        strategy=kind,
        score=score,
        conviction=conviction,
        margin=Decimal(margin),
        max_loss=Decimal(margin),
        max_profit=Decimal("500"),
        expected_value=Decimal(ev),
        pop=pop,
        dte=30,
    )


def test_kelly_is_edge_over_payoff(template: StrategyCandidate) -> None:
    c = cand(template, 0, margin="1000", ev="50")
    assert kelly_of(c, 3.0) == pytest.approx((50 / 1000) / 0.5)
    assert kelly_of(cand(template, 1, ev="-5"), 3.0) < 0


def test_allocation_rules(template: StrategyCandidate) -> None:
    symbols = [f"S{i}" for i in range(30)]
    cs = [cand(template, i, symbol=s, score=0.9 - i * 0.01) for i, s in enumerate(symbols)]
    cs.append(cand(template, 99, symbol="S0", ev="-10"))  # no edge
    cs.append(cand(template, 98, symbol="OIL", kind=T.LONG_CALL))  # bullish in a SHORT industry
    cfg = AllocationConfig(
        symbol_industry={"OIL": "Energy"},
        industries={
            "Energy": IndustryWeight(weight=0.1, position_type=PositionType.SHORT),
            "Unclassified": IndustryWeight(weight=0.9),
        },
    )
    plan = allocate(cs, Decimal(100_000), cfg)
    rules = {s.candidate_id: s.rule for s in plan.skipped}
    assert rules["c99"] == "allocation.kelly"
    assert rules["c98"] == "allocation.position_type"
    assert len(plan.positions) == 30
    assert plan.deployed_pct >= 0.95
    assert plan.allocatable == Decimal("95000.00")
    assert all(p.capital <= Decimal("7600") for p in plan.positions)
    assert plan.expected_monthly_return == pytest.approx(
        sum(float(p.expected_value) for p in plan.positions) / 100_000
    )


def test_tiers_split_60_30_10_by_conviction(template: StrategyCandidate) -> None:
    convs = [Conviction.HIGH] * 10 + [Conviction.MEDIUM] * 10 + [Conviction.LOW] * 10
    score = {Conviction.HIGH: 0.7, Conviction.MEDIUM: 0.5, Conviction.LOW: 0.3}
    cs = [
        cand(template, i, symbol=f"S{i}", conviction=c, score=score[c], margin="100")
        for i, c in enumerate(convs)
    ]
    cfg = AllocationConfig(deploy_target=0.01, kelly_fraction=1.0, max_position_pct=1.0)
    plan = allocate(cs, Decimal(100_000), cfg)
    # Kelly wants 10% each, the tier budgets cut it: 60% / 10, 30% / 10, 10% / 10.
    by_tier = {t: float(v / plan.allocatable) for t, v in plan.tier_capital.items()}
    assert by_tier[1] == pytest.approx(0.6, abs=0.01)
    assert by_tier[2] == pytest.approx(0.3, abs=0.01)
    assert by_tier[3] == pytest.approx(0.1, abs=0.01)


def test_vix_regime_prefers_premium_selling_when_high(template: StrategyCandidate) -> None:
    short_vol = cand(template, 1, symbol="A", kind=T.IRON_CONDOR, score=0.70)
    long_vol = cand(template, 2, symbol="B", kind=T.LONG_STRADDLE, score=0.72)
    cfg = AllocationConfig(max_positions=1, min_positions=1)
    high = allocate([short_vol, long_vol], Decimal(100_000), cfg, vix_regime=VixRegime.HIGH)
    low = allocate([short_vol, long_vol], Decimal(100_000), cfg, vix_regime=VixRegime.LOW)
    assert high.positions[0].candidate.strategy is T.IRON_CONDOR
    assert low.positions[0].candidate.strategy is T.LONG_STRADDLE


def test_bad_allocation_config_names_the_key() -> None:
    with pytest.raises(ConfigError, match="tier_shares"):
        AllocationConfig(tier_shares=(0.5, 0.3, 0.1))
    with pytest.raises(ConfigError, match="symbol_industry"):
        AllocationConfig(symbol_industry={"X": "Nowhere"})
    with pytest.raises(ConfigError, match="capital"):
        allocate([], Decimal(0))


def test_capital_too_small_to_diversify_takes_its_best_few(template: StrategyCandidate) -> None:
    # A $1,000 account's multileg sleeve: 285 allocatable, 8% a position is 22.80, no spread fits.
    cs = [cand(template, i, symbol=f"S{i}", score=0.9 - i * 0.05, margin="100") for i in range(5)]
    plan = allocate(cs, Decimal(300), AllocationConfig())
    assert plan.positions, plan.reason
    assert len(plan.positions) <= 2
    assert all(p.capital <= plan.allocatable / 2 for p in plan.positions)
    assert plan.positions[0].candidate.candidate_id == "c0"  # the best first
    assert "too little capital to diversify" in plan.reason
    # With enough capital the usual caps hold and the plan says nothing of the kind.
    big = allocate(cs, Decimal(100_000), AllocationConfig())
    assert "too little capital" not in big.reason
    assert all(p.capital <= big.allocatable * Decimal("0.08") for p in big.positions)
