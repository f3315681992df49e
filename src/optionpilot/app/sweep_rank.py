"""Ranking a sweep's parameter sets by its objective, on the scored account's headline figures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from optionpilot.app.sweep_runner import Outcome
from optionpilot.app.sweep_spec import SweepSpec, Value


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int | None  # None: failed, not ranked
    outcome: Outcome
    account: str | None
    score: float | None  # the objective's value; None when the run has none (e.g. no Sharpe in one session)
    capped: bool  # its drawdown went beyond the spec's cap: ranked after every set within it

    @property
    def params(self) -> dict[str, Value]:
        return self.outcome.params


def scored_account(figures: dict[str, dict[str, Any]], spec: SweepSpec) -> str | None:
    if spec.account is not None:
        return spec.account if spec.account in figures else None
    return next(iter(figures), None)


def score(figures: dict[str, Any], objective: str) -> float | None:
    value = figures.get(objective)
    if value is None:
        return None
    x = float(value)
    return None if math.isnan(x) else x


def rank(outcomes: Sequence[Outcome], spec: SweepSpec) -> list[Ranked]:
    """Best first: within the drawdown cap before beyond it, then by the objective (max_drawdown: lowest
    first, others highest first), a missing value last; ties keep the grid's order. Failures at the end."""
    rows: list[Ranked] = []
    for o in outcomes:
        account = scored_account(o.figures, spec)
        figs = o.figures.get(account, {}) if account is not None else {}
        dd = figs.get("max_drawdown")
        capped = spec.max_drawdown_cap is not None and dd is not None and float(dd) > spec.max_drawdown_cap
        rows.append(Ranked(None, o, account, score(figs, spec.objective), capped))
    sign = 1.0 if spec.objective == "max_drawdown" else -1.0

    def order(r: Ranked) -> tuple[int, int, int, float, int]:
        failed = int(r.outcome.status == "failed")
        missing = int(r.score is None)
        return (failed, int(r.capped), missing, sign * (r.score or 0.0), r.outcome.task.index)

    ordered = sorted(rows, key=order)
    out, n = [], 0
    for r in ordered:
        if r.outcome.status == "failed":
            out.append(r)
            continue
        n += 1
        out.append(Ranked(n, r.outcome, r.account, r.score, r.capped))
    return out
