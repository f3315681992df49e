"""The journal: the records of the tick in progress, handed to the recorder as one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from optionpilot.ports.recorder import Recorder, TickRecords


class Journal:
    """With `durable_orders`, everything journaled so far is stored before any order is sent.

    Live trading turns it on: after a crash the database already knows every order the broker may
    have, so reconciliation can match them by client order id. A backtest leaves it off for speed:
    its broker lives in the same process and dies with it.
    """

    def __init__(self, recorder: Recorder, *, durable_orders: bool = False) -> None:
        self._recorder = recorder
        self.durable_orders = durable_orders
        self.current = TickRecords(ts=datetime.min.replace(tzinfo=UTC))
        self.ticks_recorded = 0

    def begin(self, ts: datetime) -> TickRecords:
        self.current = TickRecords(ts=ts)
        return self.current

    def before_send(self) -> None:
        if not self.durable_orders:
            return
        ts = self.current.ts
        self.commit()
        flush = getattr(self._recorder, "flush", None)
        if callable(flush):
            flush()
        self.current = TickRecords(ts=ts)

    def commit(self) -> None:
        if not self.current.is_empty():
            self._recorder.record(self.current)
            self.ticks_recorded += 1
        self.current = TickRecords(ts=self.current.ts)
