"""Recommendations as a work queue for several dispatcher processes sharing one PostgreSQL.

`FOR UPDATE SKIP LOCKED` lets each worker take rows no other worker holds, without waiting. SQLite
ignores it, but there an UPDATE holds the single write lock, so a claim is atomic all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from optionpilot.core.errors import PersistenceError
from optionpilot.core.ids import AccountId, PositionId, RecommendationId
from optionpilot.domain.recommendations import Recommendation
from optionpilot.persistence import tables as t
from optionpilot.persistence.rows import legs_from_json


class ClaimStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ClaimedRecommendation:
    run_id: str
    recommendation: Recommendation
    claimed_by: str
    claimed_at: datetime


def claim_recommendations(
    conn: Connection,
    *,
    worker: str,
    now: datetime,
    limit: int,
    run_id: str | None = None,
    account_id: str | None = None,
) -> list[ClaimedRecommendation]:
    """Claim up to `limit` pending recommendations, oldest first, in the caller's transaction.

    The rows stay locked until the caller commits; another worker's claim skips them meanwhile.
    """
    if limit <= 0:
        raise PersistenceError(f"claim_recommendations: limit must be positive, got {limit}")
    r = t.recommendations.c
    pick = sa.select(r.id).where(r.status == ClaimStatus.PENDING.value)
    if run_id is not None:
        pick = pick.where(r.run_id == run_id)
    if account_id is not None:
        pick = pick.where(r.account_id == account_id)
    # A materialized CTE runs the locking pick once; as an IN (subquery) PostgreSQL may re-run it and
    # take more rows than the limit.
    picked = (
        pick.order_by(r.ts, r.id).limit(limit).with_for_update(skip_locked=True).cte("picked")
    ).prefix_with("MATERIALIZED")
    stmt = (
        sa.update(t.recommendations)
        .where(r.id == picked.c.id, r.status == ClaimStatus.PENDING.value)
        .values(status=ClaimStatus.CLAIMED.value, claimed_by=worker, claimed_at=now)
        .returning(t.recommendations)
    )
    claimed = [
        (
            row.ts,
            row.id,
            ClaimedRecommendation(
                run_id=row.run_id,
                recommendation=Recommendation(
                    recommendation_id=RecommendationId(row.recommendation_id),
                    ts=row.ts,
                    account_id=AccountId(row.account_id),
                    underlying=row.underlying,
                    strategy_type=row.strategy_type,
                    legs=legs_from_json(row.legs),
                    quantity=row.quantity,
                    limit_price=row.limit_price,
                    confidence=row.confidence,
                    reason=row.reason,
                    position_id=None if row.position_id is None else PositionId(row.position_id),
                ),
                claimed_by=worker,
                claimed_at=now,
            ),
        )
        for row in conn.execute(stmt)
    ]
    claimed.sort(key=lambda c: (c[0], c[1]))
    return [c for _, _, c in claimed]


def finish_recommendation(
    conn: Connection, *, run_id: str, recommendation_id: str, worker: str, status: ClaimStatus
) -> None:
    """Mark a claimed recommendation done or failed; only the worker holding it may."""
    if status not in (ClaimStatus.DONE, ClaimStatus.FAILED):
        raise PersistenceError(f"finish_recommendation: {status.value} is not a final status")
    r = t.recommendations.c
    result = conn.execute(
        sa.update(t.recommendations)
        .where(
            r.run_id == run_id,
            r.recommendation_id == recommendation_id,
            r.status == ClaimStatus.CLAIMED.value,
            r.claimed_by == worker,
        )
        .values(status=status.value)
    )
    if result.rowcount != 1:
        raise PersistenceError(
            f"recommendation {recommendation_id} of run {run_id} is not claimed by {worker}; "
            f"cannot mark it {status.value}"
        )
