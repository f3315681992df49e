"""Research runs: parameter sweeps, the runs of each parameter set, and every run's headline figures.

Revision ID: 0007_research_runs
Revises: 0006_operator_controls
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optionpilot.persistence.types

revision: str = "0007_research_runs"
down_revision: str | Sequence[str] | None = "0006_operator_controls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("sweep_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("objective", sa.String(length=32), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sweep_id", name=op.f("pk_sweeps")),
    )
    op.create_table(
        "sweep_runs",
        sa.Column("sweep_id", sa.String(length=64), nullable=False),
        sa.Column("param_key", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("fold", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_sweep_runs_run_id_runs")),
        sa.ForeignKeyConstraint(
            ["sweep_id"], ["sweeps.sweep_id"], name=op.f("fk_sweep_runs_sweep_id_sweeps")
        ),
        sa.PrimaryKeyConstraint("sweep_id", "param_key", name=op.f("pk_sweep_runs")),
    )
    op.create_index(op.f("ix_sweep_runs_run_id"), "sweep_runs", ["run_id"], unique=False)
    op.create_table(
        "run_figures",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("figures_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_run_figures_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "account_id", name=op.f("pk_run_figures")),
    )


def downgrade() -> None:
    op.drop_table("run_figures")
    op.drop_index(op.f("ix_sweep_runs_run_id"), table_name="sweep_runs")
    op.drop_table("sweep_runs")
    op.drop_table("sweeps")
