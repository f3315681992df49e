"""The run's health: when it last received market data, last heard from each broker, its recent errors and
refusals; and the gate that stops entries when either has gone silent (`decisions.health`).

Fed by the pipeline (the session, each tick's bars), the order managers (their last successful poll or
send, read when asked) and the alert monitor (errors and refusals as the journal records them). Time is
the injected clock's; `snapshot()` is what `status` shows for a running `run`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from optionpilot.core.calendars import Session
from optionpilot.core.clock import Clock
from optionpilot.core.ids import AccountId
from optionpilot.decisions.health import (
    HealthConfig,
    broker_heard,
    data_fresh,
    entries_may_continue,
    silence_s,
)
from optionpilot.domain.recommendations import Decision


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


@dataclass(frozen=True, slots=True)
class AccountHealth:
    account_id: str
    last_broker_contact: datetime | None
    broker_silence_s: float
    errors_last_hour: int
    refusals_last_hour: int
    entries: str  # "allowed" or the rule that stops them
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account_id,
            "last_broker_contact": _iso(self.last_broker_contact),
            "broker_silence_s": round(self.broker_silence_s, 1),
            "errors_last_hour": self.errors_last_hour,
            "refusals_last_hour": self.refusals_last_hour,
            "entries": self.entries,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    ts: datetime
    in_session: bool
    last_market_data: datetime | None
    data_silence_s: float
    accounts: tuple[AccountHealth, ...]

    @property
    def healthy(self) -> bool:
        return all(a.entries == "allowed" for a in self.accounts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ts": self.ts.isoformat(),
            "in_session": self.in_session,
            "last_market_data": _iso(self.last_market_data),
            "data_silence_s": round(self.data_silence_s, 1),
            "healthy": self.healthy,
            "accounts": [a.to_dict() for a in self.accounts],
        }


class HealthTracker:
    def __init__(self, clock: Clock, config: HealthConfig | None = None) -> None:
        self.clock = clock
        self.config = config or HealthConfig()
        self.last_data: datetime | None = None
        self._session: Session | None = None
        self._brokers: dict[AccountId, Callable[[], datetime | None]] = {}
        self._errors: dict[AccountId, deque[datetime]] = {}
        self._refusals: dict[AccountId, deque[datetime]] = {}

    # -- fed ------------------------------------------------------------------------------------------

    def watch_broker(self, account_id: AccountId, last_heard: Callable[[], datetime | None]) -> None:
        """`last_heard` answers when the account's broker last answered a poll or a send."""
        self._brokers[account_id] = last_heard
        self._errors.setdefault(account_id, deque())
        self._refusals.setdefault(account_id, deque())

    def enter_session(self, session: Session) -> None:
        self._session = session

    def data_seen(self, ts: datetime) -> None:
        if self.last_data is None or ts > self.last_data:
            self.last_data = ts

    def error(self, account_id: AccountId, ts: datetime, n: int = 1) -> None:
        self._errors.setdefault(account_id, deque()).extend([ts] * n)

    def refusal(self, account_id: AccountId, ts: datetime, n: int = 1) -> None:
        self._refusals.setdefault(account_id, deque()).extend([ts] * n)

    # -- asked ----------------------------------------------------------------------------------------

    def _open(self, now: datetime) -> datetime | None:
        """The open of the session `now` is in, or None between sessions."""
        s = self._session
        if s is None or not (s.open <= now <= s.close):
            return None
        return s.open

    def data_silence(self) -> float:
        now = self.clock.now()
        return silence_s(self.last_data, now, self._open(now))

    def broker_silence(self, account_id: AccountId) -> float:
        now = self.clock.now()
        heard = self._brokers.get(account_id)
        return silence_s(heard() if heard is not None else None, now, self._open(now))

    def data_check(self) -> Decision[float]:
        return data_fresh(self.data_silence(), self.config)

    def broker_check(self, account_id: AccountId) -> Decision[float]:
        return broker_heard(self.broker_silence(account_id), self.config)

    def entry_check(self, account_id: AccountId) -> Decision[str]:
        """What the dispatcher asks before every entry."""
        return entries_may_continue(self.data_silence(), self.broker_silence(account_id), self.config)

    def _recent(self, events: deque[datetime], now: datetime) -> int:
        cutoff = now - timedelta(minutes=self.config.recent_minutes)
        while events and events[0] < cutoff:
            events.popleft()
        return len(events)

    def snapshot(self) -> HealthSnapshot:
        now = self.clock.now()
        accounts = []
        for account_id in sorted(set(self._brokers) | set(self._errors) | set(self._refusals)):
            heard = self._brokers.get(account_id)
            gate = self.entry_check(account_id)
            accounts.append(
                AccountHealth(
                    account_id=account_id,
                    last_broker_contact=heard() if heard is not None else None,
                    broker_silence_s=self.broker_silence(account_id),
                    errors_last_hour=self._recent(self._errors.get(account_id, deque()), now),
                    refusals_last_hour=self._recent(self._refusals.get(account_id, deque()), now),
                    entries="allowed" if gate.ok else gate.rule,
                    reason=gate.reason,
                )
            )
        return HealthSnapshot(
            ts=now,
            in_session=self._open(now) is not None,
            last_market_data=self.last_data,
            data_silence_s=self.data_silence(),
            accounts=tuple(accounts),
        )
