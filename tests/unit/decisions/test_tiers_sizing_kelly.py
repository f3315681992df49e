from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from optionpilot.decisions.kelly import ClosedTrade, KellyConfig, kelly_fraction, kelly_from_trades
from optionpilot.decisions.sizing import SizingConfig, size_option, size_stock
from optionpilot.decisions.tiers import Tier, TierConfig, tier_admits, tier_for

D = Decimal
NOW = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("bp", "name", "day", "swing", "cap"),
    [
        ("1000", "tiny", "0.25", "0.15", 2),
        ("2000", "tiny", "0.25", "0.15", 2),
        ("3000", "small", "0.12", "0.08", 3),
        ("25000", "medium", "0.04", "0.06", 5),
        ("100000", "large", "0.01", "0.02", 10),
        ("182000", "large", "0.01", "0.02", 10),
    ],
)
def test_tier_table(bp: str, name: str, day: str, swing: str, cap: int) -> None:
    t = tier_for(D(bp))
    assert (t.name, t.risk_pct_day, t.risk_pct_swing, t.max_contracts) == (name, D(day), D(swing), cap)


def test_tier_gates_confidence_and_volume() -> None:
    tiny = tier_for(D(1000))
    assert tier_admits(tiny, 0.72, 2.1).ok
    assert tier_admits(tiny, 0.69, 5.0).rule == "tiers.min_confidence"
    assert tier_admits(tiny, 0.9, 1.9).rule == "tiers.min_volume_ratio"
    assert tier_admits(tiny, 0.9, float("nan")).rule == "tiers.min_volume_ratio"
    assert tier_admits(tier_for(D(182000)), 0.45, 1.2).ok


def test_tier_config_must_end_unbounded_and_rise() -> None:
    t = tier_for(D(1))
    with pytest.raises(ValueError, match="last tier"):
        TierConfig(tiers=(t,))
    big = Tier(
        name="x",
        max_buying_power=None,
        risk_pct_day=D("0.01"),
        risk_pct_swing=D("0.01"),
        max_contracts=1,
        min_confidence=0.5,
        min_volume_ratio=1.0,
    )
    with pytest.raises(ValueError, match="rise"):
        TierConfig(tiers=(t.model_copy(update={"max_buying_power": D(5000)}), t, big))


@pytest.mark.parametrize(
    ("bp", "style", "contracts", "budget"),
    [
        ("1000", "day_trade", 1, "250.00"),  # 25% = $250 buys one $250 contract
        ("3000", "day_trade", 1, "360.00"),
        ("100000", "day_trade", 4, "1000.00"),
        ("182000", "day_trade", 7, "1820.00"),  # seed 002's log line: 7 contracts (cap 10)
        ("182000", "swing_trade", 10, "3640.00"),  # 14 by the share, capped at 10
    ],
)
def test_contracts_at_2_50(bp: str, style: str, contracts: int, budget: str) -> None:
    d = size_option(D(bp), D("2.50"), 100, style, tier_for(D(bp)))
    assert d.value is not None
    assert (d.value.quantity, d.value.budget, d.value.initial, d.value.add_on) == (
        contracts,
        D(budget),
        contracts,
        0,
    )


def test_one_contract_when_the_share_buys_none_but_one_is_affordable() -> None:
    tiny = tier_for(D(1000))
    d = size_option(D(1000), D("4.00"), 100, "day_trade", tiny)  # $250 budget, $400 contract
    assert d.value is not None and d.value.quantity == 1 and "one is affordable" in d.reason
    no = size_option(D(1000), D("12.00"), 100, "day_trade", tiny)
    assert not no.ok and no.rule == "sizing.unaffordable"


def test_kelly_and_3_5_7_only_lower_the_count() -> None:
    large = tier_for(D(182000))
    d = size_option(D(182000), D("2.50"), 100, "day_trade", large, kelly_share=D("0.005"))
    assert d.value is not None and d.value.quantity == 3  # 910 / 250
    d = size_option(D(182000), D("2.50"), 100, "day_trade", large, kelly_share=D("0.255"))
    assert d.value is not None and d.value.quantity == 7  # the tier is smaller
    zero = size_option(D(182000), D("2.50"), 100, "day_trade", large, kelly_share=D(0))
    # A Kelly of 0 floors the size at 25% of the tier's 7 (at least 1) and says so; it never blocks.
    assert zero.value is not None and zero.value.quantity == 1 and zero.rule == "sizing.kelly_floor"
    assert "no edge" in zero.reason and "floored at 25% of the tier's 7" in zero.reason
    cfg = SizingConfig(rule_3_5_7=True)
    tiny = tier_for(D(1000))
    capped = size_option(D(1000), D("0.40"), 100, "day_trade", tiny, config=cfg)  # 3% of 1000 = 30 < 40
    assert not capped.ok
    room = size_option(
        D(100000), D("2.50"), 100, "swing_trade", tier_for(D(100000)), at_risk=D(4500), config=cfg
    )
    assert room.value is not None and room.value.quantity == 2  # 5% total: 500 left


def test_atr_adjustment_and_scaling_in() -> None:
    large = tier_for(D(182000))
    cfg = SizingConfig(atr_adjusted=True, scale_in=True)
    d = size_option(D(182000), D("2.50"), 100, "day_trade", large, atr_pct=0.002, config=cfg)
    assert d.value is not None and d.value.quantity == 3  # risk halved: 910 / 250
    assert (d.value.initial, d.value.add_on) == (1, 2)
    assert d.value.initial_cost == D("250.00")


def test_stock_sizing() -> None:
    large = tier_for(D(182000))
    d = size_stock(D(182000), D("450"), "stock", large)
    assert d.value is not None and d.value.quantity == 4  # 1% (half the swing 2%) = 1820 / 450
    assert size_stock(D(182000), D("450"), "day_trade", large).value is not None


def test_kelly_seed_example() -> None:
    full = kelly_fraction(D("0.65"), D("0.45"), D("-0.18"))
    assert full == D("0.51")
    assert full * D("0.5") == D("0.255")


def trades(
    wins: int, losses: int, *, win: str = "45", loss: str = "-18", age_days: int = 1
) -> list[ClosedTrade]:
    t = NOW - timedelta(days=age_days)
    return [ClosedTrade(t, D(win), D(100)) for _ in range(wins)] + [
        ClosedTrade(t, D(loss), D(100)) for _ in range(losses)
    ]


def test_kelly_from_history() -> None:
    d = kelly_from_trades(trades(13, 7), NOW)
    assert d.value == D("0.255")
    short = kelly_from_trades(trades(12, 7), NOW)
    assert not short.ok and short.rule == "kelly.history"
    old = kelly_from_trades(trades(13, 7, age_days=31), NOW)
    assert not old.ok
    losing = kelly_from_trades(trades(5, 15), NOW)
    assert losing.value == D(0)
    assert not kelly_from_trades(trades(13, 7), NOW, KellyConfig(enabled=False)).ok
