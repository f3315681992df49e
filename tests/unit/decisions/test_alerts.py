"""Each alert trigger at its boundary: just below it says why not, at or above it fires with its level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from optionpilot.decisions.alerts import (
    AlertsConfig,
    WindowCounts,
    broker_errors,
    cooldown,
    liquidity_failures,
    no_recommendations,
    rejected_orders,
    stock_fallback_rate,
    token_expiry,
    window_alerts,
    zero_contract_sizing,
)

CFG = AlertsConfig()
NOW = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)


def test_liquidity_failures_fire_above_20_percent_of_at_least_10_checks() -> None:
    at = liquidity_failures(WindowCounts(liquidity_checks=10, liquidity_failures=2), CFG)
    assert not at.ok and at.rule == "alerts.liquidity_ok" and "2 of 10" in at.reason
    above = liquidity_failures(WindowCounts(liquidity_checks=10, liquidity_failures=3), CFG)
    assert above.value is not None
    assert (above.value.level, above.value.key) == ("warning", "liquidity_failures")
    assert "3 of 10 liquidity checks failed (30%)" in above.value.text
    few = liquidity_failures(WindowCounts(liquidity_checks=9, liquidity_failures=9), CFG)
    assert not few.ok and few.rule == "alerts.liquidity_quiet"


def test_stock_fallback_fires_above_10_percent_of_entries() -> None:
    assert not stock_fallback_rate(WindowCounts(entries=20, stock_fallbacks=2), CFG).ok
    fired = stock_fallback_rate(WindowCounts(entries=20, stock_fallbacks=3), CFG)
    assert fired.value is not None and fired.value.key == "stock_fallback"
    assert fired.rule == "alerts.stock_fallback" and "3 of 20" in fired.reason
    few = stock_fallback_rate(WindowCounts(entries=9, stock_fallbacks=9), CFG)
    assert few.rule == "alerts.fallback_quiet"


def test_zero_contract_sizing_fires_on_any() -> None:
    assert not zero_contract_sizing(WindowCounts(zero_sizing=0), CFG).ok
    fired = zero_contract_sizing(WindowCounts(zero_sizing=1), CFG)
    assert fired.value is not None and fired.value.level == "warning" and fired.value.key == "zero_sizing"


def test_broker_errors_are_critical_on_any() -> None:
    assert not broker_errors(WindowCounts(), CFG).ok
    fired = broker_errors(WindowCounts(broker_errors=1), CFG)
    assert fired.value is not None and fired.value.level == "critical"


def test_rejected_orders_count_the_broker_and_the_risk_gate() -> None:
    assert not rejected_orders(WindowCounts(), CFG).ok
    for counts in (WindowCounts(orders_rejected=1), WindowCounts(risk_refusals=1)):
        fired = rejected_orders(counts, CFG)
        assert fired.value is not None and fired.value.key == "rejected_orders"
    two = rejected_orders(WindowCounts(orders_rejected=1), AlertsConfig(rejected_orders_min=2))
    assert not two.ok


def test_no_recommendations_needs_24_hours_and_a_whole_session() -> None:
    day = timedelta(hours=24)
    just_short = no_recommendations(NOW - day + timedelta(seconds=1), NOW, 1, CFG)
    assert not just_short.ok and just_short.rule == "alerts.recommendations_ok"
    weekend = no_recommendations(NOW - 2 * day, NOW, 0, CFG)
    assert not weekend.ok and weekend.rule == "alerts.recommendations_closed"
    fired = no_recommendations(NOW - day, NOW, 1, CFG)
    assert fired.value is not None and fired.value.level == "critical"
    assert fired.value.key == "no_recommendations"


def test_token_expiry_warns_within_the_hours_and_is_critical_once_expired() -> None:
    far = token_expiry(NOW + timedelta(hours=24, seconds=1), NOW, CFG)
    assert not far.ok and far.rule == "alerts.token_ok"
    soon = token_expiry(NOW + timedelta(hours=24), NOW, CFG)
    assert soon.value is not None and (soon.value.level, soon.value.key) == ("warning", "token_expiry")
    gone = token_expiry(NOW, NOW, CFG)
    assert gone.value is not None and (gone.value.level, gone.value.key) == ("critical", "token_expired")


def test_window_alerts_give_every_trigger_with_its_reason() -> None:
    decisions = window_alerts(WindowCounts(zero_sizing=2, broker_errors=1), CFG)
    assert len(decisions) == 5 and all(d.reason for d in decisions)
    assert sorted(d.value.key for d in decisions if d.value is not None) == ["broker_errors", "zero_sizing"]


def test_a_warning_repeats_less_often_than_a_critical() -> None:
    assert cooldown("critical", CFG) == timedelta(minutes=60)
    assert cooldown("warning", CFG) == timedelta(minutes=1440)


def test_the_config_refuses_unknown_keys_and_bad_shares() -> None:
    with pytest.raises(ValidationError):
        AlertsConfig.model_validate({"liquidity_failure_percent": 0.2})
    with pytest.raises(ValidationError):
        AlertsConfig(liquidity_failure_pct=1.5)
