"""The journal: the records of the tick in progress, handed to the recorder as one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from optionpilot.ports.recorder import Recorder, TickRecords


class Journal:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder
        self.current = TickRecords(ts=datetime.min.replace(tzinfo=UTC))
        self.ticks_recorded = 0

    def begin(self, ts: datetime) -> TickRecords:
        self.current = TickRecords(ts=ts)
        return self.current

    def commit(self) -> None:
        if not self.current.is_empty():
            self._recorder.record(self.current)
            self.ticks_recorded += 1
        self.current = TickRecords(ts=self.current.ts)
