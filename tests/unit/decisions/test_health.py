"""Silence counts only inside a session; beyond the limit entries stop with the rule that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optionpilot.decisions.health import (
    HealthConfig,
    broker_heard,
    data_fresh,
    entries_may_continue,
    silence_alert,
    silence_s,
)

OPEN = datetime(2026, 10, 28, 13, 30, tzinfo=UTC)
CFG = HealthConfig()


def test_silence_is_measured_from_the_later_of_the_last_contact_and_the_open() -> None:
    now = OPEN + timedelta(minutes=10)
    assert silence_s(OPEN + timedelta(minutes=9), now, OPEN) == 60.0
    yesterday = OPEN - timedelta(hours=18)
    assert silence_s(yesterday, now, OPEN) == 600.0  # the night is not silence
    assert silence_s(None, now, OPEN) == 600.0
    assert silence_s(yesterday, now, None) == 0.0  # between sessions
    assert silence_s(None, OPEN, OPEN) == 0.0


def test_data_is_stale_only_beyond_the_limit() -> None:
    assert data_fresh(300.0, CFG).ok
    stale = data_fresh(300.001, CFG)
    assert not stale.ok and stale.rule == "risk.stale_data" and "no market data for 300 s" in stale.reason


def test_the_broker_is_silent_only_beyond_the_limit() -> None:
    assert broker_heard(300.0, CFG).ok
    silent = broker_heard(301.0, HealthConfig(max_broker_silence_s=300))
    assert not silent.ok and silent.rule == "risk.broker_silent"


def test_entries_stop_on_either_silence_data_first() -> None:
    assert entries_may_continue(0.0, 0.0, CFG).ok
    assert entries_may_continue(301.0, 0.0, CFG).rule == "risk.stale_data"
    assert entries_may_continue(0.0, 301.0, CFG).rule == "risk.broker_silent"
    assert entries_may_continue(301.0, 301.0, CFG).rule == "risk.stale_data"


def test_a_refused_check_calls_for_a_critical_alert() -> None:
    assert silence_alert(data_fresh(1.0, CFG)) is None
    alert = silence_alert(data_fresh(900.0, CFG))
    assert alert is not None and (alert.level, alert.key) == ("critical", "stale_data")
