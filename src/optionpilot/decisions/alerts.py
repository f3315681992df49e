"""Seed 001's alert triggers and issue 17's additions, as pure functions over counts in a window.

Each trigger returns a `Decision[Triggered]`: the alert to send (level, key, text) or None, with the
reason either way, so a test or an operator can ask why an alert did or did not fire. The engine's
`AlertMonitor` keeps the counts and the cooldown; nothing here knows about time beyond its arguments.

Seed 001 ("Alert Triggers"): critical on options API connection errors, zero options recommendations in
24 h, execution constraint violations (the order core's incidents, alerted where they happen); warning on
liquidity validation failures above 20%, position sizing returning 0 contracts, and a fall-back rate above
10% (here the stock fall-back). Issue 17 adds rejected orders, stale data, a silent broker (see
`decisions.health`) and token expiry; breaker trips, kill and reconciliation are incidents of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.domain.recommendations import Decision

AlertLevel = Literal["critical", "warning"]


class AlertsConfig(BaseModel):
    """`[alerts]`: thresholds of the triggers (seed 001's numbers) and how often one key may repeat."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="evaluate the triggers every tick")
    window_minutes: int = Field(
        1440, ge=1, description="rolling window (clock time) of the rate and count triggers: seed 001's day"
    )
    cooldown_minutes: int = Field(
        60, ge=0, description="the same critical alert key is sent at most once per this many minutes"
    )
    warning_cooldown_minutes: int = Field(
        1440, ge=0, description="the same warning key at most once per this many minutes (a daily digest)"
    )
    liquidity_failure_pct: float = Field(
        0.20, ge=0, le=1, description="seed 001: warn when more of the liquidity checks fail than this"
    )
    liquidity_min_checks: int = Field(
        10, ge=1, description="no liquidity rate is judged on fewer checks in the window than this"
    )
    stock_fallback_pct: float = Field(
        0.10, ge=0, le=1, description="seed 001: warn when more of the entries are stock fall-backs"
    )
    fallback_min_entries: int = Field(
        10, ge=1, description="no fall-back rate is judged on fewer entries in the window than this"
    )
    zero_sizing_min: int = Field(
        1, ge=1, description="seed 001: warn when sizing returned 0 contracts this many times (any)"
    )
    no_recommendation_hours: float = Field(
        24.0, gt=0, description="seed 001: critical when no options recommendation for this long"
    )
    broker_errors_min: int = Field(1, ge=1, description="critical at this many broker/API errors (any)")
    rejected_orders_min: int = Field(
        1, ge=1, description="warn at this many orders rejected by the broker or refused by the risk gate"
    )
    # Refusals that only say "the account is full" are the limits working, not a fault: not alerted.
    routine_refusals: tuple[str, ...] = Field(
        (
            "risk.day_positions",
            "risk.swing_positions",
            "risk.deployed",
            "risk.net_delta",
            "risk.net_vega",
            "risk.net_gamma",
            "risk.buying_power",
            "risk.no_short_stock",
            "risk.reconciliation_halt",
            "risk.state_reducing",
            "risk.state_halted",
            "risk.stale_data",
            "risk.broker_silent",
        ),
        description="risk.* refusals not counted as rejected orders (capacity limits; states alerted apart)",
    )
    token_warn_hours: float = Field(
        24.0, gt=0, description="warn when a broker token expires within this many hours"
    )


@dataclass(frozen=True, slots=True)
class Triggered:
    """An alert a trigger calls for. `key` is what the cooldown is kept by (with the account)."""

    level: AlertLevel
    key: str
    text: str


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """What one account (or the run) did in the alert window."""

    liquidity_checks: int = 0  # contract selections that reached the liquidity check
    liquidity_failures: int = 0  # ... and found no liquid contract
    entries: int = 0  # single-leg entries recommended (options and stock)
    stock_fallbacks: int = 0  # ... of them stock because no option passed
    zero_sizing: int = 0  # sizing returned 0 contracts (or shares)
    broker_errors: int = 0  # timeouts, failed polls, lookups and cancels
    orders_rejected: int = 0  # orders the broker (or the halted order core) rejected
    risk_refusals: int = 0  # entries the risk gate refused, routine capacity limits excepted


def cooldown(level: AlertLevel, cfg: AlertsConfig) -> timedelta:
    """How long the same key stays quiet after it was sent: a warning repeats less often than a critical."""
    return timedelta(minutes=cfg.cooldown_minutes if level == "critical" else cfg.warning_cooldown_minutes)


def _fire(level: AlertLevel, key: str, text: str, rule: str) -> Decision[Triggered]:
    return Decision.yes(Triggered(level, key, text), text, rule)


def _rate(
    part: int,
    whole: int,
    min_whole: int,
    limit: float,
    *,
    said: str,
    whole_name: str,
    rule: str,
    key: str,
    tail: str = "",
) -> Decision[Triggered]:
    """Warning when `part` of `whole` is above `limit`, judged only from `min_whole` on."""
    if whole < min_whole:
        return Decision.no(
            f"{whole} {whole_name} in the window, fewer than the {min_whole} judged", f"alerts.{rule}_quiet"
        )
    share = part / whole
    if share <= limit:
        return Decision.no(f"{part} of {whole} {said} ({share:.0%}), within {limit:.0%}", f"alerts.{rule}_ok")
    return _fire("warning", key, f"{part} of {whole} {said} ({share:.0%}), above {limit:.0%}{tail}",
                 f"alerts.{key}")  # fmt: skip


def liquidity_failures(counts: WindowCounts, cfg: AlertsConfig) -> Decision[Triggered]:
    """Warning when the share of liquidity checks that failed is above `liquidity_failure_pct`."""
    return _rate(
        counts.liquidity_failures, counts.liquidity_checks, cfg.liquidity_min_checks,
        cfg.liquidity_failure_pct, said="liquidity checks failed", whole_name="liquidity checks",
        rule="liquidity", key="liquidity_failures",
    )  # fmt: skip


def stock_fallback_rate(counts: WindowCounts, cfg: AlertsConfig) -> Decision[Triggered]:
    """Warning when the share of entries that fell back to the stock is above `stock_fallback_pct`."""
    return _rate(
        counts.stock_fallbacks, counts.entries, cfg.fallback_min_entries, cfg.stock_fallback_pct,
        said="entries fell back to the stock", whole_name="entries", rule="fallback", key="stock_fallback",
        tail=": options are not being found",
    )  # fmt: skip


def zero_contract_sizing(counts: WindowCounts, cfg: AlertsConfig) -> Decision[Triggered]:
    if counts.zero_sizing < cfg.zero_sizing_min:
        return Decision.no(f"sizing returned 0 contracts {counts.zero_sizing} times", "alerts.sizing_ok")
    return _fire(
        "warning",
        "zero_sizing",
        f"position sizing returned 0 contracts {counts.zero_sizing} times in the window",
        "alerts.zero_sizing",
    )


def broker_errors(counts: WindowCounts, cfg: AlertsConfig) -> Decision[Triggered]:
    if counts.broker_errors < cfg.broker_errors_min:
        return Decision.no(f"{counts.broker_errors} broker/API errors", "alerts.broker_ok")
    return _fire(
        "critical",
        "broker_errors",
        f"{counts.broker_errors} broker/API errors (timeouts, failed polls, lookups or cancels) "
        "in the window",
        "alerts.broker_errors",
    )


def rejected_orders(counts: WindowCounts, cfg: AlertsConfig) -> Decision[Triggered]:
    n = counts.orders_rejected + counts.risk_refusals
    if n < cfg.rejected_orders_min:
        return Decision.no(f"{n} orders rejected or refused", "alerts.rejections_ok")
    return _fire(
        "warning",
        "rejected_orders",
        f"{counts.orders_rejected} orders rejected by the broker and {counts.risk_refusals} entries refused "
        "by the risk gate in the window",
        "alerts.rejected_orders",
    )


def no_recommendations(
    last: datetime, now: datetime, full_sessions_since: int, cfg: AlertsConfig
) -> Decision[Triggered]:
    """Critical after `no_recommendation_hours` of clock time without an options recommendation, counted
    only when at least one whole session (open to close) lies in that time: a weekend alone never fires."""
    quiet = now - last
    limit = timedelta(hours=cfg.no_recommendation_hours)
    if quiet < limit:
        return Decision.no(f"last options recommendation {quiet} ago", "alerts.recommendations_ok")
    if full_sessions_since < 1:
        return Decision.no(
            f"no options recommendation for {quiet}, but no whole session has traded since",
            "alerts.recommendations_closed",
        )
    return _fire(
        "critical",
        "no_recommendations",
        f"no options recommendation for {quiet} ({full_sessions_since} whole sessions), "
        f"over {cfg.no_recommendation_hours:g} h",
        "alerts.no_recommendations",
    )


def token_expiry(expires_at: datetime, now: datetime, cfg: AlertsConfig) -> Decision[Triggered]:
    """Warning when a broker token expires within `token_warn_hours`; critical once it has expired."""
    left = expires_at - now
    if left <= timedelta(0):
        return _fire(
            "critical", "token_expired", f"the broker token expired at {expires_at.isoformat()}",
            "alerts.token_expired",
        )  # fmt: skip
    if left > timedelta(hours=cfg.token_warn_hours):
        return Decision.no(f"the broker token expires in {left}", "alerts.token_ok")
    return _fire(
        "warning",
        "token_expiry",
        f"the broker token expires in {left} (at {expires_at.isoformat()}): renew it",
        "alerts.token_expiry",
    )


def window_alerts(counts: WindowCounts, cfg: AlertsConfig) -> list[Decision[Triggered]]:
    """Every count trigger, each with its reason (those that fire have a value)."""
    return [
        broker_errors(counts, cfg),
        rejected_orders(counts, cfg),
        liquidity_failures(counts, cfg),
        stock_fallback_rate(counts, cfg),
        zero_contract_sizing(counts, cfg),
    ]
