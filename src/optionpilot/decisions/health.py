"""Run health (issue 17): is the run still hearing from its market data and its broker?

Silence counts only inside a session, from the later of the last contact and the session's open: the
night between two sessions is not silence, and a session's first minute is not stale because yesterday's
last bar is. A run that has been silent longer than allowed stops entering (exits go on: they are how risk
comes down) and alerts.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.decisions.alerts import Triggered
from optionpilot.domain.recommendations import Decision


class HealthConfig(BaseModel):
    """`[health]`: how long a run may go without market data or a word from its broker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_data_silence_s: float = Field(
        300.0, gt=0, description="no bar for longer than this during a session: stale data, entries stop"
    )
    max_broker_silence_s: float = Field(
        300.0, gt=0, description="no successful poll or send for longer: broker silent, entries stop"
    )
    recent_minutes: int = Field(60, ge=1, description="errors and refusals are counted over this window")
    data_max_flagged_pct: float = Field(
        0.05, ge=0, le=1, description="`status`: stored data fails its check above this share of flagged rows"
    )


def silence_s(last: datetime | None, now: datetime, session_open: datetime | None) -> float:
    """Seconds without contact inside the session; 0 outside a session (or before it opens)."""
    if session_open is None or now <= session_open:
        return 0.0
    since = session_open if last is None or last < session_open else last
    return max((now - since).total_seconds(), 0.0)


def data_fresh(silence: float, cfg: HealthConfig) -> Decision[float]:
    if silence > cfg.max_data_silence_s:
        return Decision.no(
            f"no market data for {silence:.0f} s during the session (limit {cfg.max_data_silence_s:g} s)",
            "risk.stale_data",
            silence_s=silence,
        )
    return Decision.yes(silence, f"market data {silence:.0f} s old", "health.data_ok")


def broker_heard(silence: float, cfg: HealthConfig) -> Decision[float]:
    if silence > cfg.max_broker_silence_s:
        return Decision.no(
            f"no word from the broker for {silence:.0f} s during the session "
            f"(limit {cfg.max_broker_silence_s:g} s)",
            "risk.broker_silent",
            silence_s=silence,
        )
    return Decision.yes(silence, f"broker heard {silence:.0f} s ago", "health.broker_ok")


def entries_may_continue(data_silence: float, broker_silence: float, cfg: HealthConfig) -> Decision[str]:
    """No entry on stale data or a silent broker: what an order is priced on, or sent to, is unknown."""
    data = data_fresh(data_silence, cfg)
    if not data.ok:
        return Decision.no(data.reason, data.rule, **data.details)
    broker = broker_heard(broker_silence, cfg)
    if not broker.ok:
        return Decision.no(broker.reason, broker.rule, **broker.details)
    return Decision.yes("healthy", f"{data.reason}; {broker.reason}", "health.ok")


def silence_alert(decision: Decision[float]) -> Triggered | None:
    """The critical alert a refused health check calls for (keyed by its rule)."""
    if decision.ok:
        return None
    return Triggered("critical", decision.rule.removeprefix("risk."), decision.reason)
