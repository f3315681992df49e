"""The journal: the records of the tick in progress, handed to the recorder as one unit of work."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from optionpilot.core.crashpoints import crash_point
from optionpilot.ports.recorder import Recorder, TickRecords


class Journal:
    """Everything journaled so far is stored before any order is sent, in every mode.

    After a crash the database then knows every order the broker may have, so reconciliation can match
    them by client order id. It costs one commit per send: the tick so far goes to the recorder and the
    recorder's buffered ticks are written in one transaction (`flush`).
    """

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.current = TickRecords(ts=datetime.min.replace(tzinfo=UTC))
        self.ticks_recorded = 0
        self.stores_before_send = 0
        self._observers: list[Callable[[TickRecords], None]] = []

    def observe(self, observer: Callable[[TickRecords], None]) -> None:
        """`observer` sees each batch stored ahead of a send, which leaves `current` for it; the rest of
        a tick is in `current` until `commit` (the alert monitor reads it there)."""
        self._observers.append(observer)

    def begin(self, ts: datetime) -> TickRecords:
        self.current = TickRecords(ts=ts)
        return self.current

    def before_send(self) -> None:
        # Stages hold `current` while they place orders, so it is emptied in place, never replaced.
        current = self.current
        if not current.is_empty():
            sent = TickRecords(ts=current.ts)
            for f in dataclasses.fields(TickRecords):
                if f.name != "ts":
                    setattr(sent, f.name, list(getattr(current, f.name)))
                    getattr(current, f.name).clear()
            for observer in self._observers:
                observer(sent)
            self._recorder.record(sent)
            self.ticks_recorded += 1
        flush = getattr(self._recorder, "flush", None)
        if callable(flush):
            flush()
        self.stores_before_send += 1

    def commit(self) -> None:
        if not self.current.is_empty():
            self._recorder.record(self.current)
            self.ticks_recorded += 1
        crash_point("tick.stored")
        self.current = TickRecords(ts=self.current.ts)
