"""Wiring of `allocate` and `execute`: the plan is made against the state `execute` will see.

`allocate` opens the same market view and the same standing account as `execute` (see `app.multileg`),
takes the desk's entry state (what the account holds and is entering, what it entered today, the session
an order sent now fills in) and the natural price of each candidate's legs on the quotes now, and hands
them to the allocator, which screens every candidate with the desk's own function
(`decisions.strategies.screens.screen_entry`). So what the plan holds is what `execute` enters, unless the
market or the account changed in between; `execute` says, per planned candidate, what became of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from optionpilot.app.multileg import (
    MarketView,
    Standing,
    open_standing,
    settle_orders,
)
from optionpilot.core.errors import ConfigError
from optionpilot.decisions.budgets import sleeve_room
from optionpilot.decisions.strategies.allocation import AllocationPlan, PlannedPosition, allocate
from optionpilot.decisions.strategies.analysis import VixRegime
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.domain.positions import Position
from optionpilot.engine.entries.dispatch import deployed
from optionpilot.persistence import strategy_store as store
from optionpilot.persistence.candidate_codec import candidate_from
from optionpilot.persistence.read_models import ReadModels
from optionpilot.persistence.scan_records import AllocationRecord
from optionpilot.persistence.strategy_store import StandingRecorder
from optionpilot.ports.recorder import RunInfo

# -- allocate -----------------------------------------------------------------------------------------------


def _same_market(scan_run: str, view: MarketView, verb: str) -> None:
    """The plan is screened on the kind of market the scan looked at (a store, or the simulator of one
    market: the scan's run id starts with it); a store's symbols may differ (`scan --symbol`)."""
    kind = "store-" if view.label.startswith("store-") else f"{view.label}-"
    if not scan_run.startswith(f"scan-{kind}"):
        raise ConfigError(
            f"the latest scan {scan_run} did not look at {kind.rstrip('-')}: give {verb} the "
            "--data/--market the scan used"
        )


def _scan_regime(rec: StandingRecorder, scan_run: str) -> VixRegime:
    """The VIX regime the scan saw (stored in its run summary); NORMAL for scans that had none."""
    for run in ReadModels(rec.engine).runs():
        if run.run_id == scan_run and run.summary_json:
            value = json.loads(run.summary_json).get("vix_regime")
            return VixRegime(value) if value in {r.value for r in VixRegime} else VixRegime.NORMAL
    return VixRegime.NORMAL


@dataclass(frozen=True, slots=True)
class AllocateOutcome:
    scan_run: str
    plan_id: str
    plan: AllocationPlan
    account: str
    buying_power: Decimal  # of the account `execute` will use, when the plan was made
    asked: Decimal  # the capital asked for; the plan takes at most the multileg sleeve's room
    sleeve_room: Decimal


def run_allocate(
    view: MarketView, db: str, capital: Decimal, *, account_name: str | None = None
) -> AllocateOutcome:
    """Plan `capital` over the latest scan, screened against the standing account `execute` will use."""
    st = open_standing(view, db, account_name)
    try:
        rec = st.recorder
        scan_run = store.latest_run(rec.engine, store.SCAN_MODE)
        if scan_run is None:
            raise ConfigError("no scan in the database: run `optionpilot scan` first")
        stored = store.candidates(rec.engine, scan_run)
        if not stored:
            raise ConfigError(f"scan {scan_run} stored no candidates: nothing to allocate")
        cands = [candidate_from(s) for s in stored]
        currencies = sorted({c.currency for c in cands})
        if len(currencies) > 1:
            raise ConfigError(f"scan {scan_run} mixes currencies {currencies}; scan one market at a time")
        _same_market(scan_run, view, "allocate")
        # `execute` holds every entry to the account's multileg sleeve, so the plan does too.
        snapshot = st.account.broker.account()
        room = sleeve_room(
            "multileg",
            snapshot.equity,
            deployed(st.account.book.open_positions(), "multileg"),
            st.account.sleeves,
        )
        if room <= 0:
            raise ConfigError(
                f"account {st.account.name}: its multileg sleeve "
                f"({st.account.sleeves.multileg:.0%} of equity) has no room left"
            )
        plan = allocate(
            cands,
            min(capital, room),
            view.config.strategies.allocation,
            vix_regime=_scan_regime(rec, scan_run),
            entry=st.desk.entry_state(),
            prices={c.candidate_id: st.desk.natural_or_why(c) for c in cands},
        )
        plan_id = f"plan-{store.plan_count(rec.engine, scan_run) + 1:03d}"
        rec.open_run(RunInfo(scan_run, store.SCAN_MODE, cands[0].ts, None, "{}", []))
        rec.record_allocations([_record(plan_id, p) for p in plan.positions])
        store.set_candidate_status(
            rec.engine, scan_run, [p.candidate.candidate_id for p in plan.positions], "marked"
        )
        power = st.account.broker.account().buying_power
    finally:
        st.close()
    return AllocateOutcome(scan_run, plan_id, plan, st.account.name, power, capital, room)


def _record(plan_id: str, p: PlannedPosition) -> AllocationRecord:
    return AllocationRecord(
        plan_id=plan_id,
        candidate_id=p.candidate.candidate_id,
        ts=p.candidate.ts,
        tier=str(p.tier),
        industry=p.industry,
        position_type=p.position_type.value,
        lots=p.lots,
        capital=p.capital,
        max_loss=p.max_loss if p.max_loss is not None else p.capital,
        expected_return=p.expected_value,
        kelly_fraction=p.kelly,
        reason=p.reason,
    )


# -- execute ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExecutedRow:
    candidate_id: str
    underlying: str
    strategy: str
    lots: int
    position_id: str
    status: str  # open | closed | closing | skipped
    entry: Decimal | None  # net per share from the fills: + paid, - received
    reason: str
    rule: str = ""  # the rule that decided (the entry screen's when it was left out)
    planned_capital: Decimal | None = None  # the plan's capital for it (None: executed by id)
    filled_lots: int = 0

    @property
    def sent(self) -> bool:
        return bool(self.position_id)


def _filled_lots(p: Position) -> int:
    ratio = int(p.meta.get("unit_ratio", "1")) or 1
    leg = p.legs.get(p.meta.get("unit_leg", ""))
    return 0 if leg is None else leg.opened_quantity // ratio


def run_execute(
    view: MarketView,
    db: str,
    *,
    candidate_ids: Sequence[str] | None = None,
    force: bool = False,
    account_name: str | None = None,
) -> tuple[list[ExecutedRow], Standing]:
    st = open_standing(view, db, account_name)
    try:
        engine = st.recorder.engine
        scan_run = store.latest_run(engine, store.SCAN_MODE)
        if scan_run is None:
            raise ConfigError("no scan in the database: run `optionpilot scan` first")
        _same_market(scan_run, view, "execute")
        plan = {a.candidate_id: a for a in store.latest_plan(engine, scan_run)}
        if candidate_ids:
            stored = store.candidates(engine, scan_run, candidate_ids)
            missing = sorted(set(candidate_ids) - {s.candidate_id for s in stored})
            if missing:
                raise ConfigError(f"no candidate {', '.join(missing)} in the latest scan {scan_run}")
        else:
            if not plan:
                raise ConfigError(
                    f"no allocation for scan {scan_run}: run `optionpilot allocate CAPITAL` first"
                )
            stored = store.candidates(engine, scan_run, list(plan))
        entered: list[tuple[StrategyCandidate, int, str, str, Position | None]] = []
        for s in stored:
            c = candidate_from(s)
            lots = plan[c.candidate_id].lots if c.candidate_id in plan else 1
            why = plan[c.candidate_id].reason if c.candidate_id in plan else "executed by id"
            d = st.desk.enter(c, lots, reason=f"scan {scan_run}: {why}", force=force)
            entered.append((c, lots, d.reason, d.rule, d.value))
        settle_orders(st)
        rows: list[ExecutedRow] = []
        done: list[str] = []
        for c, lots, reason, rule, pos in entered:
            planned = plan[c.candidate_id].capital if c.candidate_id in plan else None
            if pos is None:
                rows.append(
                    ExecutedRow(
                        c.candidate_id, c.underlying, c.strategy.value, lots, "", "skipped", None, reason,
                        rule, planned,
                    )
                )  # fmt: skip
                continue
            units = lots * c.multiplier
            entry = (pos.entry_cost / units).quantize(Decimal("0.0001")) if pos.entry_cost and units else None
            if not pos.is_flat:
                done.append(c.candidate_id)
            filled = _filled_lots(pos)
            if filled == 0 and (pos.exit_reason or "").startswith("entry rejected"):
                rule = "multileg.entry.rejected"
            elif filled == 0:
                rule = "multileg.entry.unfilled"
            elif filled < lots:
                rule = "multileg.entry.partial"
            rows.append(
                ExecutedRow(
                    c.candidate_id, c.underlying, c.strategy.value, lots, pos.position_id, pos.status.value,
                    entry, pos.exit_reason or reason, rule, planned, filled,
                )
            )  # fmt: skip
        store.set_candidate_status(engine, scan_run, done, "executed")
    except BaseException:
        st.close()
        raise
    st.close()
    return rows, st


__all__ = ["AllocateOutcome", "ExecutedRow", "run_allocate", "run_execute"]
