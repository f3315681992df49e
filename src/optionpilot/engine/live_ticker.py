"""The live ticker: each minute boundary of each session as the broker's clock reaches it.

It waits in real time (as the clock converts it: a rehearsal's accelerated clock waits less), calling
`idle` while it waits so the operator's commands are taken between ticks. Started mid-session, or late
after a slow tick, it does not replay the minutes it missed: it looks at the latest one due, and the
pipeline reads the bars since its last look (on its first look, since the open). It ends after
`max_sessions` closes, at `until` (the exchange's local time), or when `stop()` turns true (SIGTERM,
Ctrl-C), always between two ticks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from datetime import time as day_time
from typing import Protocol
from zoneinfo import ZoneInfo

from optionpilot.core.calendars import Session
from optionpilot.core.clock import SimulatedClock
from optionpilot.engine.ticker import MINUTE, Tick


class WaitingClock(Protocol):
    def now(self) -> datetime: ...

    def real_seconds_until(self, t: datetime) -> float: ...


class LiveTicker:
    def __init__(
        self,
        clock: WaitingClock,
        sessions: Callable[[datetime], Sequence[Session]],
        zone: ZoneInfo,
        *,
        max_sessions: int | None = None,
        until: day_time | None = None,
        step_minutes: int = 1,
        settle_s: float = 2.0,
        idle: Callable[[], None] | None = None,
        idle_s: float = 0.25,
        stop: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
        engine_clock: SimulatedClock | None = None,
    ) -> None:
        self.clock = clock
        self._sessions = sessions
        self.zone = zone
        self.max_sessions = max_sessions
        self.until = until
        self.step_minutes = step_minutes
        # Bars of a minute are published a moment after it ends; look a little after the boundary.
        self.settle = timedelta(seconds=settle_s)
        self.idle = idle
        self.idle_s = idle_s
        self.stop = stop
        self._sleep = sleep
        self.sessions_done = 0
        self.ended_by = ""
        # The engine's clock stands still during a tick, as in a backtest: every decision of the tick sees
        # one "now" (the health checks, the stale-quote guard), however long the tick's requests take. It
        # is moved to the broker's time before each tick and while waiting between ticks.
        self.engine_clock = engine_clock

    def catch_up(self) -> None:
        """The engine's clock to the broker's time (never backwards)."""
        if self.engine_clock is not None:
            now = self.clock.now()
            if now > self.engine_clock.now():
                self.engine_clock.advance_to(now)

    @property
    def total(self) -> int:
        """Ticks expected (for progress): a full session's minutes per session to run; 0 when open-ended."""
        return (self.max_sessions or 0) * 390 // self.step_minutes

    def _marks(self, session: Session) -> list[int]:
        marks = list(range(self.step_minutes, session.minutes + 1, self.step_minutes))
        if not marks or marks[-1] != session.minutes:
            marks.append(session.minutes)
        return marks

    def _wait_until(self, t: datetime) -> bool:
        """Wait until the clock reads `t`; False when told to stop first."""
        while (wait := self.clock.real_seconds_until(t)) > 0:
            if self.stop():
                return False
            if self.idle is not None:
                self.idle()
            self._sleep(min(wait, self.idle_s))
        return not self.stop()

    def _cutoff(self, session: Session) -> datetime | None:
        if self.until is None:
            return None
        local = datetime.combine(session.day, self.until, tzinfo=self.zone)
        return local if local < session.close else None

    def _next_session(self) -> Session | None:
        now = self.clock.now()
        ahead = [s for s in self._sessions(now) if s.close > now]
        return min(ahead, key=lambda s: s.open) if ahead else None

    def __iter__(self) -> Iterator[Tick]:
        while True:
            if self.stop():
                self.ended_by = "stop"
                return
            session = self._next_session()
            if session is None:
                self.ended_by = "no session ahead in the broker's calendar"
                return
            if not self._wait_until(session.open):
                self.ended_by = "stop"
                return
            cutoff = self._cutoff(session)
            yield from self._session_ticks(session, cutoff)
            if self.ended_by:
                return
            if cutoff is not None:
                self.ended_by = f"--until {self.until:%H:%M}"
                return
            self.sessions_done += 1
            if self.max_sessions is not None and self.sessions_done >= self.max_sessions:
                self.ended_by = f"{self.sessions_done} session(s) closed"
                return

    def _session_ticks(self, session: Session, cutoff: datetime | None) -> Iterator[Tick]:
        marks = self._marks(session)
        since: datetime | None = None
        for i, m in enumerate(marks):
            due = session.open + m * MINUTE
            if cutoff is not None and due > cutoff:
                return
            is_last = m == marks[-1]
            later = session.open + marks[i + 1] * MINUTE if not is_last else None
            if later is not None and self.clock.now() >= later + self.settle:
                continue  # a later minute is due already: look at that one, with the bars since the last look
            if not self._wait_until(due + self.settle):
                self.ended_by = "stop"
                return
            # A process's first look of a session reads everything since the open: what it missed (started
            # late, restarted) warms its features, and a look due since then (the daily scan) is not lost.
            start = since if since is not None else session.open
            self.catch_up()
            yield Tick(due, start, session, m, since is None, is_last)
            since = due
