"""What `allocate` and `execute` print and put in --json: the plan or the entries, and every candidate left
out with the rule that left it out and why."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from optionpilot.app.multileg import Standing
from optionpilot.app.multileg_plan import AllocateOutcome, ExecutedRow


def allocation_view(out: AllocateOutcome) -> tuple[dict[str, Any], list[str]]:
    """The JSON payload and the notes under the table; candidates that are only not their symbol's best
    are counted, the others listed with their rule and reason."""
    plan = out.plan
    positions: list[dict[str, Any]] = [
        {
            "candidate_id": p.candidate.candidate_id,
            "symbol": p.candidate.underlying,
            "strategy": p.candidate.strategy.value,
            "lots": p.lots,
            "capital": str(p.capital),
            "unit_capital": str(p.unit_capital),
            "tier": p.tier,
            "industry": p.industry,
            "position_type": p.position_type.value,
            "conviction": p.candidate.conviction.value,
            "expected_value": str(p.expected_value),
        }
        for p in plan.positions
    ]
    left_out = [
        {"candidate_id": s.candidate_id, "symbol": s.underlying, "strategy": s.strategy, "rule": s.rule,
         "reason": s.reason}
        for s in plan.skipped
    ]  # fmt: skip
    by_rule = Counter(s.rule for s in plan.skipped)
    payload = {
        "scan_run": out.scan_run,
        "plan_id": out.plan_id,
        "account": out.account,
        "buying_power": str(out.buying_power),
        "capital_asked": str(out.asked),
        "sleeve_room": str(out.sleeve_room),
        "capital": str(plan.capital),
        "allocatable": str(plan.allocatable),
        "deployed": str(plan.deployed),
        "deployed_pct": round(plan.deployed_pct, 4),
        "tier_capital": {str(t): str(v) for t, v in sorted(plan.tier_capital.items())},
        "tier_budget": {str(t): str(v) for t, v in sorted(plan.tier_budget.items())},
        "industry_capital": {i: str(v) for i, v in sorted(plan.industry_capital.items())},
        "industry_budget": {i: str(v) for i, v in sorted(plan.industry_budget.items())},
        "expected_monthly_return": round(plan.expected_monthly_return, 6),
        "expected_monthly_return_is": "a model expectation from EV, not a promise",
        "monthly_return_target": plan.monthly_return_target,
        "positions": positions,
        "left_out": left_out,
        "left_out_by_rule": dict(sorted(by_rule.items())),
        "reason": plan.reason,
    }
    # Candidates that are only not their symbol's best are counted, the others listed with their reason.
    listed = [s for s in left_out if s["rule"] != "allocation.per_underlying"]
    notes = [
        f"deployed {plan.deployed:,.0f} of {plan.allocatable:,.0f} allocatable ({plan.deployed_pct:.1%}) "
        f"in {len(plan.positions)} positions; expected {plan.expected_monthly_return:+.2%} a month "
        f"(an expectation, not a promise; target {plan.monthly_return_target:.0%})",
        plan.reason,
        *(f"left out {s['symbol']} {s['strategy']} ({s['rule']}): {s['reason']}" for s in listed),
        "left out by rule: " + ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())),
    ]
    if out.asked > plan.capital:
        notes.insert(
            0,
            f"capital {out.asked:,.0f} asked; planned on {plan.capital:,.0f}, the room left in the multileg "
            f"sleeve of {out.account} (accounts.sleeves.multileg)",
        )
    if plan.deployed > out.buying_power:
        notes.append(
            f"warning: the plan deploys {plan.deployed:,.0f}, more than the {out.buying_power:,.0f} buying "
            f"power of {out.account}: execute will be refused what does not fit"
        )
    return payload, notes


def execution_view(rows: list[ExecutedRow], st: Standing) -> tuple[dict[str, Any], list[str]]:
    """The JSON payload and the notes: capital planned, sent and filled, and why each entry fell short."""
    planned = sum((r.planned_capital or Decimal(0) for r in rows), start=Decimal(0))
    sent = sum((r.planned_capital or Decimal(0) for r in rows if r.sent), start=Decimal(0))
    filled = sum(
        ((r.planned_capital or Decimal(0)) * r.filled_lots / r.lots for r in rows if r.lots), start=Decimal(0)
    )
    payload = {
        "account": st.account.name,
        "run_id": st.run_id,
        "cash": str(st.account.book.cash),
        "entries": [
            {
                "candidate_id": r.candidate_id,
                "symbol": r.underlying,
                "strategy": r.strategy,
                "lots": r.lots,
                "position_id": r.position_id,
                "status": r.status,
                "entry_per_share": None if r.entry is None else str(r.entry),
                "filled_lots": r.filled_lots,
                "planned_capital": None if r.planned_capital is None else str(r.planned_capital),
                "rule": r.rule,
                "reason": r.reason,
            }
            for r in rows
        ],
        "planned_capital": str(planned),
        "sent_capital": str(sent),
        "filled_capital": str(filled),
        "reconciliation": [rep.summary() for rep in st.reports],
    }
    notes = [
        f"planned {planned:,.0f}; sent {sent:,.0f}; filled {filled:,.0f}",
        *(
            f"{r.underlying} {r.strategy} ({r.rule}): {r.reason}"
            for r in rows
            if r.rule != "multileg.entry" or r.status != "open"
        ),
        *(f"reconciliation {rep.summary()}" for rep in st.reports),
    ]
    return payload, notes
