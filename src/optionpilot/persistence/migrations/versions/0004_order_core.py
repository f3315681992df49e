"""The order core: each fill's broker execution id (unique per account) and stored incidents.

Fills stored before this revision get their fill id as execution id: that was the broker's id of
the execution then.

Revision ID: 0004_order_core
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optionpilot.persistence.types

revision: str = "0004_order_core"
down_revision: str | Sequence[str] | None = "0003_run_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fills") as batch:
        batch.add_column(sa.Column("execution_id", sa.String(length=96), nullable=True))
    op.execute("UPDATE fills SET execution_id = fill_id")
    with op.batch_alter_table("fills") as batch:
        batch.alter_column("execution_id", existing_type=sa.String(length=96), nullable=False)
        batch.create_unique_constraint(
            op.f("uq_fills_account_id_execution_id"), ["account_id", "execution_id"]
        )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=96), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_incidents_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index(
        op.f("ix_incidents_run_id_account_id"), "incidents", ["run_id", "account_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_run_id_account_id"), table_name="incidents")
    op.drop_table("incidents")
    with op.batch_alter_table("fills") as batch:
        batch.drop_constraint(op.f("uq_fills_account_id_execution_id"), type_="unique")
        batch.drop_column("execution_id")
