"""The SQL recorder: every tick's records in one transaction, with Core executemany inserts for speed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from optionpilot.core.clock import Clock, LiveClock
from optionpilot.core.errors import PersistenceError
from optionpilot.domain.fills import Fill
from optionpilot.domain.orders import OrderStatus
from optionpilot.persistence import rows as r
from optionpilot.persistence import tables as t
from optionpilot.persistence.database import DatabaseConfig, create_engine, mask_url
from optionpilot.persistence.migrate import upgrade_engine
from optionpilot.persistence.run_status import Owner, RunStatus, beat, owner_values, set_status
from optionpilot.persistence.scan_records import (
    AllocationRecord,
    IvPoint,
    StrategyCandidateRecord,
    allocation_row,
    candidate_row,
    iv_row,
)
from optionpilot.persistence.statements import Statements, TickRows
from optionpilot.ports.recorder import RunInfo, TickRecords


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


class SqlRecorder:
    """The `Recorder` port on SQLite or PostgreSQL.

    `record` stores a tick in one transaction; with `ticks_per_transaction` > 1 it buffers whole ticks and
    `flush` (called when the buffer is full, by `finish_run` and by `close`) commits them together. Should
    that batch fail, each tick is retried alone, so every tick is still stored entirely or not at all.

    A run is `running` from `start_run` (or `claim_run`) with this process as its owner, and its heartbeat
    (from `heartbeat_clock`, the live clock by default) moves with every commit. The run's accounts are
    stored in the transaction of its first records (the runner's opening deposits), so a killed run never
    claims accounts with an empty ledger. `finish_run` makes it completed; leaving the `with` block on an
    exception makes it failed with the error's first line.
    """

    def __init__(
        self,
        url: str,
        config: DatabaseConfig | None = None,
        *,
        migrate: bool = True,
        heartbeat_clock: Clock | None = None,
    ) -> None:
        self.config = config or DatabaseConfig(url=url)
        self.url = url
        self.heartbeat_clock: Clock = heartbeat_clock or LiveClock()
        self.owner = Owner.this_process()
        self.engine: Engine = create_engine(url, self.config)
        if migrate:
            upgrade_engine(self.engine, config=self.config, clock=self.heartbeat_clock)
        self._sql = Statements(self.engine.dialect.name)
        self._run_id: str | None = None
        self._claimed: str | None = None
        self._pending_accounts: list[r.Row] = []
        self._finished = False
        # A standing run outlives each command: closing it at rest marks it completed, not dead.
        self.rest_on_close = False
        self._buffer: list[TickRows] = []
        # (account, execution id) of every fill handed to the database: a fill delivered twice is
        # dropped here, before it can fail its tick on the UNIQUE constraint (the backstop).
        self._executions: set[tuple[str, str]] = set()
        self.duplicate_fills_dropped = 0
        self.rows_written = 0
        self.ticks_written = 0

    # -- the Recorder port ------------------------------------------------------------------------------

    def _run_row(self, info: RunInfo, run_id: str) -> r.Row:
        return {
            "run_id": run_id,
            "mode": info.mode,
            "seed": info.seed,
            "started_at": info.started_at,
            "ended_at": None,
            "config_json": info.config_json,
            "summary_json": None,
            **owner_values(self.owner, self.heartbeat_clock),
        }

    def claim_run(self, info: RunInfo, candidates: Iterable[str]) -> RunInfo:
        """Store the run under the first free id of `candidates`; `info` with that id.

        Insert and retry on the primary key, so processes starting together never share an id.
        """
        with self.engine.connect() as conn:
            taken = set(conn.execute(sa.select(t.runs.c.run_id)).scalars())
        for run_id in candidates:
            if run_id in taken:
                continue
            try:
                with self.engine.begin() as conn:
                    conn.execute(t.runs.insert(), [self._run_row(info, run_id)])
            except IntegrityError:
                continue  # another process took it between our read and our insert
            except SQLAlchemyError as exc:
                raise PersistenceError(
                    f"cannot start run {run_id} in {mask_url(self.url)}: {_one_line(exc)}"
                ) from exc
            self._claimed = run_id
            return replace(info, run_id=run_id)
        raise PersistenceError(f"no free run id for {info.run_id} in {mask_url(self.url)}")

    def start_run(self, info: RunInfo) -> None:
        self.flush()  # an earlier run's ticks and accounts belong to that run's transactions
        if self._claimed != info.run_id:
            try:
                with self.engine.begin() as conn:
                    conn.execute(t.runs.insert(), [self._run_row(info, info.run_id)])
            except SQLAlchemyError as exc:
                raise PersistenceError(
                    f"cannot start run {info.run_id} in {mask_url(self.url)}: {_one_line(exc)}"
                ) from exc
        self._pending_accounts = [
            {"run_id": info.run_id, "account_id": aid, "name": name, "starting_cash": cash, "currency": ccy}
            for aid, name, cash, ccy in info.accounts
        ]
        self._run_id = info.run_id
        self._finished = False

    def resume_run(self, run_id: str) -> None:
        """Append to a run an earlier process started (a standing account lives across commands)."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    t.runs.update()
                    .where(t.runs.c.run_id == run_id)
                    .values(**owner_values(self.owner, self.heartbeat_clock))
                )
        except SQLAlchemyError as exc:
            raise PersistenceError(f"cannot resume run {run_id}: {_one_line(exc)}") from exc
        if result.rowcount != 1:
            raise PersistenceError(f"run {run_id} is not in {mask_url(self.url)}: nothing to resume")
        self._run_id = run_id
        self._finished = False
        self._load_executions(run_id)

    def _load_executions(self, run_id: str) -> None:
        accounts = sa.select(t.accounts.c.account_id).where(t.accounts.c.run_id == run_id)
        query = sa.select(t.fills.c.account_id, t.fills.c.execution_id).where(
            t.fills.c.account_id.in_(accounts)
        )
        with self.engine.connect() as conn:
            self._executions.update((a, x) for a, x in conn.execute(query))

    def record(self, records: TickRecords) -> None:
        """Convert the tick now (a bad value fails here, naming the record), store it per the buffer size."""
        if records.is_empty():
            return
        self._buffer.append(self._rows(self._require_run(), records))
        if len(self._buffer) >= self.config.ticks_per_transaction:
            self.flush()

    def finish_run(self, run_id: str, ended_at: datetime, summary_json: str) -> None:
        self.flush()
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    t.runs.update()
                    .where(t.runs.c.run_id == run_id)
                    .values(
                        ended_at=ended_at,
                        summary_json=summary_json,
                        status=RunStatus.COMPLETED.value,
                        error=None,
                        heartbeat_at=self.heartbeat_clock.now(),
                    )
                )
        except SQLAlchemyError as exc:
            raise PersistenceError(f"cannot finish run {run_id}: {_one_line(exc)}") from exc
        if result.rowcount != 1:
            raise PersistenceError(f"cannot finish run {run_id}: no such run in {mask_url(self.url)}")
        if run_id == self._run_id:
            self._finished = True

    def fail_run(self, error: BaseException | str) -> None:
        """Mark this recorder's run failed with the error's first line (when it is still running)."""
        if self._run_id is None or self._finished:
            return
        text = error if isinstance(error, str) else str(getattr(error, "orig", None) or error)
        lines = text.strip().splitlines()
        line = lines[0] if lines else type(error).__name__
        try:
            with self.engine.begin() as conn:
                set_status(conn, self._run_id, RunStatus.FAILED, line[:2000])
        except SQLAlchemyError as exc:
            raise PersistenceError(f"cannot mark run {self._run_id} failed: {_one_line(exc)}") from exc
        self._finished = True

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One transaction that also stores the run's pending accounts and moves its heartbeat."""
        with self.engine.begin() as conn:
            if self._pending_accounts:
                conn.execute(t.accounts.insert(), self._pending_accounts)
            yield conn
            if self._run_id is not None:
                beat(conn, self._run_id, self.heartbeat_clock)
        self._pending_accounts = []

    # -- buffering --------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Commit every buffered tick; raises PersistenceError naming the ticks that could not be stored."""
        if not self._buffer:
            if self._pending_accounts:
                self._write_now([], "accounts")
            return
        ticks, self._buffer = self._buffer, []
        try:
            with self._transaction() as conn:
                for stmt, rows in self._sql.merge(ticks):
                    conn.execute(stmt, rows)
        except SQLAlchemyError as exc:
            if len(ticks) == 1:
                raise self._tick_error(ticks[0], exc) from exc
            self._retry_one_by_one(ticks)
            return
        self._count(ticks)

    def _retry_one_by_one(self, ticks: list[TickRows]) -> None:
        failures: list[tuple[TickRows, SQLAlchemyError]] = []
        for tick in ticks:
            try:
                with self._transaction() as conn:
                    self._write(conn, tick)
            except SQLAlchemyError as exc:
                failures.append((tick, exc))
            else:
                self._count([tick])
        if failures:
            first, cause = failures[0]
            others = f" (and {len(failures) - 1} more ticks)" if len(failures) > 1 else ""
            raise self._tick_error(first, cause, others) from cause

    def _tick_error(self, tick: TickRows, exc: SQLAlchemyError, more: str = "") -> PersistenceError:
        return PersistenceError(
            f"tick {tick.ts.isoformat()}{more} not stored in {mask_url(self.url)}: {_one_line(exc)}"
        )

    def _count(self, ticks: list[TickRows]) -> None:
        self.ticks_written += len(ticks)
        self.rows_written += sum(tick.count for tick in ticks)

    @property
    def pending_ticks(self) -> int:
        return len(self._buffer)

    # -- records outside the tick flow ------------------------------------------------------------------

    def record_iv_history(self, points: Sequence[IvPoint], run_id: str | None = None) -> None:
        """Insert or refresh daily ATM IV (one row per symbol, day and source)."""
        self._write_now([(self._sql.iv_upsert, [iv_row(run_id, p) for p in points])], "IV history")

    def record_candidates(self, candidates: Sequence[StrategyCandidateRecord]) -> None:
        run_id = self._require_run()
        self._write_now(
            [(t.strategy_candidates.insert(), [candidate_row(run_id, c) for c in candidates])], "candidates"
        )

    def record_allocations(self, allocations: Sequence[AllocationRecord]) -> None:
        run_id = self._require_run()
        self._write_now(
            [(t.allocations.insert(), [allocation_row(run_id, a) for a in allocations])], "allocations"
        )

    def _write_now(self, batches: list[tuple[Any, list[r.Row]]], what: str) -> None:
        try:
            with self._transaction() as conn:
                for stmt, rows in batches:
                    if rows:
                        conn.execute(stmt, rows)
        except SQLAlchemyError as exc:
            raise PersistenceError(f"{what} not stored in {mask_url(self.url)}: {_one_line(exc)}") from exc

    # -- lifecycle --------------------------------------------------------------------------------------

    def close(self) -> None:
        try:
            self.flush()
            if self.rest_on_close and self._run_id is not None and not self._finished:
                with self.engine.begin() as conn:
                    set_status(conn, self._run_id, RunStatus.COMPLETED)
                self._finished = True
        except SQLAlchemyError as exc:
            raise PersistenceError(f"cannot close run {self._run_id}: {_one_line(exc)}") from exc
        finally:
            self.engine.dispose()

    def __enter__(self) -> SqlRecorder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self.close()
            return
        try:
            self.flush()  # whole ticks only, so what is buffered is still true
            self.fail_run(exc)
        except PersistenceError:
            pass  # the database itself failed: the next command finds the run dead instead
        finally:
            self.engine.dispose()

    # -- internals --------------------------------------------------------------------------------------

    def _require_run(self) -> str:
        if self._run_id is None:
            raise PersistenceError("record called before start_run: no run to record into")
        return self._run_id

    def _write(self, conn: Connection, tick: TickRows) -> None:
        for stmt, rows in tick.batches:
            conn.execute(stmt, rows)

    def _rows(self, run_id: str, rec: TickRecords) -> TickRows:
        """Tables in dependency order: an order is stored before its fills, a position before its events."""
        tick = TickRows(rec.ts)

        def add(stmt: Any, rows: list[r.Row]) -> None:
            if rows:
                tick.batches.append((stmt, rows))

        add(self._sql.news, [r.news_row(run_id, n) for n in rec.news])
        add(self._sql.features, [r.feature_row(run_id, f) for f in rec.features])
        add(self._sql.signals, [r.signal_row(run_id, s) for s in rec.signals])
        add(self._sql.recommendations, [r.recommendation_row(run_id, x) for x in rec.recommendations])
        add(self._sql.rejections, [r.rejection_row(run_id, x) for x in rec.rejections])
        latest = {o.client_order_id: o for o in rec.orders}
        new_ids = {o.client_order_id for o in rec.orders if o.status is OrderStatus.NEW}
        # A NEW order is a plain insert, so a client order id already in the database fails the tick.
        add(self._sql.orders, [r.order_row(run_id, o) for cid, o in latest.items() if cid in new_ids])
        add(
            self._sql.order_upsert,
            [r.order_row(run_id, o) for cid, o in latest.items() if cid not in new_ids],
        )
        add(self._sql.order_events, [r.order_event_row(run_id, o) for o in rec.orders])
        add(self._sql.fills, [r.fill_row(run_id, f) for f in self._first_deliveries(rec)])
        add(self._sql.settlements, [r.settlement_row(run_id, s) for s in rec.settlements])
        add(self._sql.ledger, [r.ledger_row(run_id, e) for e in rec.ledger])
        positions = {p.position_id: p for p in rec.positions}
        add(self._sql.position_upsert, [r.position_row(run_id, p, rec.ts) for p in positions.values()])
        add(self._sql.leg_upsert, [leg for p in positions.values() for leg in r.position_leg_rows(run_id, p)])
        add(self._sql.position_events, [r.position_event_row(run_id, e) for e in rec.position_events])
        add(self._sql.equity, [r.equity_row(run_id, p) for p in rec.equity])
        add(self._sql.incidents, [r.incident_row(run_id, x) for x in rec.incidents])
        return tick

    def _first_deliveries(self, rec: TickRecords) -> list[Fill]:
        fresh = []
        for fill in rec.fills:
            key = (fill.account_id, fill.execution_id)
            if key in self._executions:
                self.duplicate_fills_dropped += 1
                continue
            self._executions.add(key)
            fresh.append(fill)
        return fresh
