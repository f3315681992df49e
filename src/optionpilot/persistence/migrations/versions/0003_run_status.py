"""Run status: running, completed, failed (with its error) or interrupted, and who runs it.

Runs stored before this revision are finished or dead: a backtest that never ended reads as interrupted,
every other run as completed.

Revision ID: 0003_run_status
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optionpilot.persistence.types

revision: str = "0003_run_status"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="completed", nullable=False)
        )
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("heartbeat_at", optionpilot.persistence.types.UtcDateTime(), nullable=True)
        )
    op.execute("UPDATE runs SET status = 'interrupted' WHERE ended_at IS NULL AND mode = 'backtest'")


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("host")
        batch.drop_column("pid")
        batch.drop_column("error")
        batch.drop_column("status")
