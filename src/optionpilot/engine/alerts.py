"""The alert monitor: counts what the journal records, asks the triggers (`decisions.alerts`) once per tick,
and sends what they call for to the notifier, each alert key at most once per cooldown.

It sees every record once: the journal hands it each batch stored ahead of a send (`Journal.observe`),
and it reads the rest of the tick from the journal's `current` at the end of the tick. Liquidity checks
and broker errors are not records; they are read as counters (the account's and its order manager's) and
their growth counted per tick.

Every alert sent is stored as an `alert` incident (`account_id` "*" for the run as a whole), so it is
queryable with the run's other incidents. A count trigger fires again only on new events of its kind: one
rejected order does not repeat every cooldown for the rest of the window.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Sequence
from datetime import datetime, timedelta

from optionpilot.core.calendars import Session
from optionpilot.core.clock import Clock
from optionpilot.core.ids import AccountId
from optionpilot.decisions.alerts import (
    AlertsConfig,
    Triggered,
    WindowCounts,
    cooldown,
    no_recommendations,
    token_expiry,
    window_alerts,
)
from optionpilot.decisions.health import silence_alert
from optionpilot.domain.incidents import Incident, IncidentKind
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.orders import OrderLeg, OrderStatus
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.health import HealthTracker
from optionpilot.engine.journal import Journal
from optionpilot.ports.notifier import Notifier
from optionpilot.ports.recorder import TickRecords

log = logging.getLogger(__name__)
RUN = AccountId("*")  # the account of an alert about the whole run (data, recommendations)

# Which events a count trigger's key looks at: it fires again only when one of them is new.
_EVENTS_OF = {
    "liquidity_failures": ("liquidity_failure",),
    "stock_fallback": ("fallback",),
    "zero_sizing": ("zero_sizing",),
    "broker_errors": ("broker_error",),
    "rejected_orders": ("order_rejected", "risk_refusal"),
}
# Incidents that are a fault of the order core or the broker (counted as errors in the health view).
_ERRORS = frozenset(
    {
        IncidentKind.OVERFILL,
        IncidentKind.FILL_AFTER_TERMINAL,
        IncidentKind.UNKNOWN_ORDER_FILL,
        IncidentKind.UNKNOWN_OUTCOME,
        IncidentKind.RECONCILIATION,
    }
)
_SINGLE_LEG = ("long_call/", "long_put/", "stock/", "short_stock/")


def _is_fallback(strategy_type: str) -> bool:
    """A stock entry for an option signal (day or swing style); a signal that asked for the stock is not."""
    return strategy_type.startswith(("stock/", "short_stock/")) and not strategy_type.endswith("/stock")


def _has_option(legs: Sequence[OrderLeg]) -> bool:
    return any(isinstance(leg.instrument, OptionContract) for leg in legs)


class _Window:
    """Events of one account in the rolling window, counted as they come and go."""

    def __init__(self) -> None:
        self.events: deque[tuple[datetime, str, int]] = deque()
        self.counts: Counter[str] = Counter()
        self.last: dict[str, datetime] = {}

    def add(self, ts: datetime, name: str, n: int = 1) -> None:
        if n <= 0:
            return
        self.events.append((ts, name, n))
        self.counts[name] += n
        self.last[name] = max(ts, self.last.get(name, ts))

    def prune(self, cutoff: datetime) -> None:
        while self.events and self.events[0][0] < cutoff:
            _, name, n = self.events.popleft()
            self.counts[name] -= n

    def window_counts(self) -> WindowCounts:
        c = self.counts
        return WindowCounts(
            liquidity_checks=c["liquidity_check"],
            liquidity_failures=c["liquidity_failure"],
            entries=c["entry"],
            stock_fallbacks=c["fallback"],
            zero_sizing=c["zero_sizing"],
            broker_errors=c["broker_error"],
            orders_rejected=c["order_rejected"],
            risk_refusals=c["risk_refusal"],
        )


class AlertMonitor:
    def __init__(
        self,
        *,
        clock: Clock,
        config: AlertsConfig,
        journal: Journal,
        accounts: Sequence[AccountRuntime],
        notifier: Notifier | None = None,
        health: HealthTracker | None = None,
    ) -> None:
        self.clock = clock
        self.config = config
        self.journal = journal
        self.accounts = list(accounts)
        self.notifier = notifier
        self.health = health
        self._windows: dict[AccountId, _Window] = {a.account_id: _Window() for a in self.accounts}
        self._seen_counters: dict[AccountId, tuple[int, int, int]] = {
            a.account_id: (0, 0, 0) for a in self.accounts
        }
        self._last_recommendation = clock.now()  # the run's start counts as the last one
        self._sessions_since = 0
        self._last_sent: dict[tuple[AccountId, str], datetime] = {}
        self.token_expiries: dict[AccountId, datetime] = {}  # the brokers that have tokens set these
        self.sent: list[Incident] = []  # every alert sent (and stored), in order
        self.suppressed = 0  # alerts held back by the cooldown
        self.by_key: Counter[str] = Counter()  # "level key" -> alerts sent
        journal.observe(self.count)

    # -- counting -------------------------------------------------------------------------------------

    def _window(self, account_id: AccountId | None) -> _Window | None:
        return self._windows.get(account_id) if account_id is not None else None

    def count(self, records: TickRecords) -> None:
        """One batch of records, each counted once (see the module docstring)."""
        ts = records.ts
        for rec in records.recommendations:
            if _has_option(rec.legs):
                self._saw_recommendation(rec.ts)
            w = self._window(rec.account_id)
            if w is not None and rec.strategy_type.startswith(_SINGLE_LEG):
                w.add(rec.ts, "entry")
                if _is_fallback(rec.strategy_type):
                    w.add(rec.ts, "fallback")
        for rej in records.rejections:
            w = self._window(rej.account_id)
            if w is None:
                continue
            if rej.stage == "sizing":
                w.add(rej.ts, "zero_sizing")
            elif rej.stage == "risk":
                if self.health is not None and rej.account_id is not None:
                    self.health.refusal(rej.account_id, rej.ts)
                if rej.rule.startswith("risk.") and rej.rule not in self.config.routine_refusals:
                    w.add(rej.ts, "risk_refusal")
        for order in records.orders:
            if order.purpose == "entry" and order.status is OrderStatus.NEW and _has_option(order.legs):
                # The multi-leg flow sends its entries without a recommendation record.
                self._saw_recommendation(order.created_at)
            w = self._window(order.account_id)
            if w is not None and order.status is OrderStatus.REJECTED:
                w.add(ts, "order_rejected")
                if self.health is not None:
                    self.health.refusal(order.account_id, ts)
        if self.health is not None:
            for incident in records.incidents:
                if incident.kind in _ERRORS:
                    self.health.error(incident.account_id, incident.ts)

    def _saw_recommendation(self, ts: datetime) -> None:
        self._last_recommendation = max(self._last_recommendation, ts)
        self._sessions_since = 0

    def _read_counters(self, now: datetime) -> None:
        """Liquidity checks and broker errors are counters on the account and its order manager."""
        for account in self.accounts:
            w = self._windows[account.account_id]
            checks, failures, errors = self._seen_counters[account.account_id]
            now_counters = (
                account.liquidity_checks,
                account.liquidity_failures,
                account.orders.broker_errors,
            )
            w.add(now, "liquidity_check", now_counters[0] - checks)
            w.add(now, "liquidity_failure", now_counters[1] - failures)
            w.add(now, "broker_error", now_counters[2] - errors)
            if self.health is not None and now_counters[2] > errors:
                self.health.error(account.account_id, now, now_counters[2] - errors)
            self._seen_counters[account.account_id] = now_counters

    # -- deciding -------------------------------------------------------------------------------------

    def after_tick(self, session: Session, *, is_last: bool) -> None:
        """At the end of each tick, before its records are committed (the alerts are stored with them)."""
        if not self.config.enabled:
            return
        now = self.clock.now()
        self.count(self.journal.current)
        self._read_counters(now)
        cutoff = now - timedelta(minutes=self.config.window_minutes)
        for account in self.accounts:
            w = self._windows[account.account_id]
            w.prune(cutoff)
            counts = w.window_counts()
            for d in window_alerts(counts, self.config):
                if d.value is not None and self._fresh(account.account_id, d.value.key, w):
                    self._raise(account.account_id, d.value)
            if self.health is not None:
                alert = silence_alert(self.health.broker_check(account.account_id))
                if alert is not None:
                    self._raise(account.account_id, alert)
            expires = self.token_expiries.get(account.account_id)
            if expires is not None:
                token = token_expiry(expires, now, self.config)
                if token.value is not None:
                    self._raise(account.account_id, token.value)
        if is_last and session.open >= self._last_recommendation:
            self._sessions_since += 1
        quiet = no_recommendations(self._last_recommendation, now, self._sessions_since, self.config)
        if quiet.value is not None:
            self._raise(RUN, quiet.value)
        if self.health is not None:
            stale = silence_alert(self.health.data_check())
            if stale is not None:
                self._raise(RUN, stale)

    def summary(self) -> str:
        """One line: how many alerts were sent, by level and key."""
        keys = ", ".join(f"{k} x{n}" for k, n in sorted(self.by_key.items()))
        return f"alerts: {len(self.sent)} sent" + (f" ({keys})" if keys else "")

    def _fresh(self, account_id: AccountId, key: str, w: _Window) -> bool:
        """A count trigger fires again only when an event of its kind came after it was last sent."""
        sent = self._last_sent.get((account_id, key))
        if sent is None:
            return True
        return any(w.last.get(name, sent) > sent for name in _EVENTS_OF.get(key, ()))

    def _raise(self, account_id: AccountId, alert: Triggered) -> None:
        now = self.clock.now()
        sent = self._last_sent.get((account_id, alert.key))
        if sent is not None and now - sent < cooldown(alert.level, self.config):
            self.suppressed += 1
            return
        self._last_sent[(account_id, alert.key)] = now
        incident = Incident(now, account_id, IncidentKind.ALERT, f"{alert.level} {alert.key}: {alert.text}")
        self.sent.append(incident)
        self.by_key[f"{alert.level} {alert.key}"] += 1
        self.journal.current.incidents.append(incident)
        log.warning("alert %s on %s: %s", alert.key, account_id, alert.text)
        if self.notifier is not None:
            who = "run" if account_id == RUN else account_id
            self.notifier.notify(alert.level, f"{who}: {alert.key}", alert.text)
