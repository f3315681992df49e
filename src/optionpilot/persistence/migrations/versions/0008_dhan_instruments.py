"""The broker security master: Dhan's scrip master as an instruments table keyed by security id.

Revision ID: 0008_dhan_instruments
Revises: 0007_research_runs
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optionpilot.persistence.types

revision: str = "0008_dhan_instruments"
down_revision: str | Sequence[str] | None = "0007_research_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("broker", sa.String(length=16), nullable=False),
        sa.Column("security_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(length=8), nullable=False),
        sa.Column("segment", sa.String(length=8), nullable=False),
        sa.Column("instrument", sa.String(length=16), nullable=False),
        sa.Column("trading_symbol", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("strike", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("option_type", sa.String(length=2), nullable=True),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("tick_size", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("freeze_quantity", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("broker", "exchange", "segment", "security_id", name=op.f("pk_instruments")),
    )
    op.create_index(
        op.f("ix_instruments_underlying_expiry_strike_option_type"),
        "instruments",
        ["underlying", "expiry", "strike", "option_type"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_instruments_underlying_expiry_strike_option_type"), table_name="instruments")
    op.drop_table("instruments")
