"""The daily loss breaker: REDUCING at the daily limit, HALTED at the second, never milder within the day."""

from __future__ import annotations

from decimal import Decimal

from optionpilot.decisions.breaker import TradingState, account_loss_state, daily_loss_state, entry_allowed

D = Decimal
LIMITS = {"max_loss_pct": D("0.03"), "halt_loss_pct": D("0.05")}


def test_the_breaker_steps_through_reducing_to_halted() -> None:
    ok = daily_loss_state(D(100_000), D(97_001), TradingState.ACTIVE, **LIMITS)
    assert ok.value is TradingState.ACTIVE and ok.rule == "risk.daily_loss_ok"
    reducing = daily_loss_state(D(100_000), D(97_000), TradingState.ACTIVE, **LIMITS)
    assert reducing.value is TradingState.REDUCING and reducing.rule == "risk.daily_loss"
    assert "3000.00 (3.00% of 100000.00 at the open)" in reducing.reason
    halted = daily_loss_state(D(100_000), D(95_000), TradingState.REDUCING, **LIMITS)
    assert halted.value is TradingState.HALTED and halted.rule == "risk.daily_loss_halt"


def test_a_recovery_within_the_day_does_not_lift_the_state() -> None:
    back = daily_loss_state(D(100_000), D(101_000), TradingState.REDUCING, **LIMITS)
    assert back.value is TradingState.REDUCING and back.rule == "risk.state_kept"
    assert (
        daily_loss_state(D(100_000), D(101_000), TradingState.HALTED, **LIMITS).value is TradingState.HALTED
    )
    assert daily_loss_state(D(0), D(-5), TradingState.ACTIVE, **LIMITS).value is TradingState.ACTIVE


def test_only_an_active_account_enters() -> None:
    assert entry_allowed(TradingState.ACTIVE).ok
    no = entry_allowed(TradingState.REDUCING, "risk.daily_loss: loss today 3.1%")
    assert not no.ok and no.rule == "risk.state_reducing" and "loss today 3.1%" in no.reason
    assert entry_allowed(TradingState.HALTED).rule == "risk.state_halted"


def test_the_account_maximum_loss_halts_from_the_starting_equity() -> None:
    under = account_loss_state(D(1_000), D("800.01"), TradingState.ACTIVE, max_loss_pct=D("0.20"))
    assert under.value is TradingState.ACTIVE and under.rule == "risk.account_loss_ok"
    hit = account_loss_state(D(1_000), D(800), TradingState.REDUCING, max_loss_pct=D("0.20"))
    assert hit.value is TradingState.HALTED and hit.rule == "risk.account_loss"
    assert "200.00 (20.00% of 1000.00)" in hit.reason
    kept = account_loss_state(D(121_000), D(120_000), TradingState.REDUCING, max_loss_pct=D("0.20"))
    assert kept.value is TradingState.REDUCING
