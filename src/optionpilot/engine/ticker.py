"""Tickers decide when the engine looks: each minute boundary of each session, driven by the clock.

A backtest ticker moves a simulated clock through the sessions; a live ticker waits for the wall clock.
This is the clock choice made once in `app/`; the stages never know which one runs them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from optionpilot.core.calendars import Session
from optionpilot.core.clock import SimulatedClock

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Tick:
    now: datetime
    since: datetime  # the previous tick; bars that started in [since, now) are complete
    session: Session
    minute_index: int  # minutes since the open, 1 at the first tick of a session
    is_first: bool
    is_last: bool  # the tick at the close


class Ticker(Protocol):
    def __iter__(self) -> Iterator[Tick]: ...

    @property
    def total(self) -> int: ...


class BacktestTicker:
    """Walks a simulated clock over every minute of the given sessions, then one tick at each close."""

    def __init__(self, clock: SimulatedClock, sessions: Sequence[Session], step_minutes: int = 1) -> None:
        self._clock = clock
        self._sessions = list(sessions)
        self._step = step_minutes

    @property
    def step_minutes(self) -> int:
        return self._step

    @property
    def sessions(self) -> list[Session]:
        return list(self._sessions)

    @property
    def total(self) -> int:
        return sum(len(self._marks(s)) for s in self._sessions)

    def _marks(self, session: Session) -> list[int]:
        marks = list(range(self._step, session.minutes + 1, self._step))
        if not marks or marks[-1] != session.minutes:
            marks.append(session.minutes)
        return marks

    def __iter__(self) -> Iterator[Tick]:
        for session in self._sessions:
            since = session.open
            marks = self._marks(session)
            for m in marks:
                now = session.open + m * MINUTE
                self._clock.advance_to(now)
                yield Tick(now, since, session, m, m == marks[0], m == marks[-1])
                since = now
