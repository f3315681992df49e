"""Operator controls: each account's trading state, the operator's commands to a running run, its health.

Revision ID: 0006_operator_controls
Revises: 0005_entry_greeks
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optionpilot.persistence.types

revision: str = "0006_operator_controls"
down_revision: str | Sequence[str] | None = "0005_entry_greeks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> optionpilot.persistence.types.UtcDateTime:
    return optionpilot.persistence.types.UtcDateTime()


def upgrade() -> None:
    op.create_table(
        "account_states",
        sa.Column("account", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=16), nullable=False),
        sa.Column("changed_at", _utc(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_account_states")),
    )
    op.create_table(
        "operator_commands",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=128), nullable=False),
        sa.Column("verb", sa.String(length=16), nullable=False),
        sa.Column("position_id", sa.String(length=96), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", _utc(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_commands")),
    )
    op.create_index(
        op.f("ix_operator_commands_run_id_status"), "operator_commands", ["run_id", "status"], unique=False
    )
    op.create_table(
        "run_health",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("health_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_health")),
    )


def downgrade() -> None:
    op.drop_table("run_health")
    op.drop_index(op.f("ix_operator_commands_run_id_status"), table_name="operator_commands")
    op.drop_table("operator_commands")
    op.drop_table("account_states")
