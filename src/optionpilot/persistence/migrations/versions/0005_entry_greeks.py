"""Entry Greeks: each position's delta, theta, vega and IV of one unit when its entry was sent.

Positions stored before this revision keep them null: the quotes of their entry are not in the database.

Revision ID: 0005_entry_greeks
Revises: 0004_order_core
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_entry_greeks"
down_revision: str | Sequence[str] | None = "0004_order_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("entry_delta", "entry_theta", "entry_vega", "entry_iv")


def upgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
