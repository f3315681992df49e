"""Feature snapshots: each symbol's features when the signal stage looked.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import optionpilot.persistence.types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "features",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("values", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_features_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_features")),
    )
    op.create_index(
        op.f("ix_features_run_id_symbol_ts"), "features", ["run_id", "symbol", "ts"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_features_run_id_symbol_ts"), table_name="features")
    op.drop_table("features")
