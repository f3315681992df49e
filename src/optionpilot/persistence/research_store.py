"""Research records: every run's headline figures, the sweeps and which run holds each parameter set."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from optionpilot.persistence import tables as t


@dataclass(frozen=True, slots=True)
class SweepRunRow:
    sweep_id: str
    param_key: str
    run_id: str
    params: dict[str, Any]
    role: str
    fold: int | None
    status: str  # the run's: completed, failed, interrupted, running


class ResearchStore:
    """Reads and writes `run_figures`, `sweeps` and `sweep_runs` of one (migrated) database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tables: set[str] | None = None

    def _has(self, table: sa.Table) -> bool:
        """A database not yet migrated to 0007 (only writers migrate) has no research records to read."""
        if self._tables is None:
            self._tables = set(sa.inspect(self.engine).get_table_names())
        return table.name in self._tables

    def save_figures(self, run_id: str, figures: dict[str, dict[str, Any]]) -> None:
        """Replace a run's figures (by account id); recomputing them is idempotent."""
        f = t.run_figures
        rows = [
            {"run_id": run_id, "account_id": a, "figures_json": json.dumps(v, sort_keys=True)}
            for a, v in figures.items()
        ]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(f).where(f.c.run_id == run_id))
            if rows:
                conn.execute(sa.insert(f), rows)

    def figures(self, run_ids: list[str] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """run id -> account id -> figures."""
        if not self._has(t.run_figures):
            return {}
        f = t.run_figures.c
        q = sa.select(f.run_id, f.account_id, f.figures_json)
        if run_ids is not None:
            q = q.where(f.run_id.in_(run_ids))
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        with self.engine.connect() as conn:
            for run_id, account_id, text in conn.execute(q):
                out[run_id][account_id] = json.loads(text)
        return dict(out)

    def ensure_sweep(self, sweep_id: str, created_at: datetime, objective: str, spec: dict[str, Any]) -> bool:
        """Store the sweep unless it is there (a resumed sweep); True when it was new."""
        s = t.sweeps
        with self.engine.begin() as conn:
            if conn.execute(sa.select(s.c.sweep_id).where(s.c.sweep_id == sweep_id)).first():
                return False
            conn.execute(
                sa.insert(s).values(
                    sweep_id=sweep_id,
                    created_at=created_at,
                    objective=objective,
                    spec_json=json.dumps(spec, sort_keys=True, default=str),
                )
            )
        return True

    def link(
        self, sweep_id: str, param_key: str, run_id: str, params: dict[str, Any], role: str, fold: int | None
    ) -> None:
        """Tie a run to its parameter set; a retried set replaces the link to its failed run."""
        r = t.sweep_runs
        with self.engine.begin() as conn:
            conn.execute(sa.delete(r).where(r.c.sweep_id == sweep_id, r.c.param_key == param_key))
            conn.execute(
                sa.insert(r).values(
                    sweep_id=sweep_id,
                    param_key=param_key,
                    run_id=run_id,
                    params_json=json.dumps(params, sort_keys=True),
                    role=role,
                    fold=fold,
                )
            )

    def sweep_runs(self, sweep_id: str) -> list[SweepRunRow]:
        if not self._has(t.sweep_runs):
            return []
        r, runs = t.sweep_runs.c, t.runs.c
        q = (
            sa.select(r.sweep_id, r.param_key, r.run_id, r.params_json, r.role, r.fold, runs.status)
            .select_from(t.sweep_runs.join(t.runs, r.run_id == runs.run_id))
            .where(r.sweep_id == sweep_id)
            .order_by(r.param_key)
        )
        with self.engine.connect() as conn:
            return [
                SweepRunRow(sid, key, rid, json.loads(p), role, fold, status)
                for sid, key, rid, p, role, fold, status in conn.execute(q)
            ]

    def sweep_of(self, run_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """run id -> (sweep id, parameters) for runs that belong to a sweep."""
        if not self._has(t.sweep_runs):
            return {}
        r = t.sweep_runs.c
        q = sa.select(r.run_id, r.sweep_id, r.params_json).where(r.run_id.in_(run_ids))
        with self.engine.connect() as conn:
            return {rid: (sid, json.loads(p)) for rid, sid, p in conn.execute(q)}
