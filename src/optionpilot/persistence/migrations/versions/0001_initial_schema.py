"""Initial schema: runs, the flow's records, the ledger, IV history, strategy candidates, allocations.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import optionpilot.persistence.types

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("started_at", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("ended_at", optionpilot.persistence.types.UtcDateTime(), nullable=True),
        sa.Column("config_json", sa.Text(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )
    op.create_table(
        "accounts",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("starting_cash", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_accounts_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "account_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("plan_id", sa.String(length=96), nullable=False),
        sa.Column("candidate_id", sa.String(length=96), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=64), nullable=False),
        sa.Column("position_type", sa.String(length=8), nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
        sa.Column("capital", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("max_loss", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("expected_return", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("kelly_fraction", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_allocations_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
        sa.UniqueConstraint(
            "run_id", "plan_id", "candidate_id", name=op.f("uq_allocations_run_id_plan_id_candidate_id")
        ),
    )
    op.create_table(
        "equity_points",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("cash", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("equity", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("gamma", sa.Float(), nullable=False),
        sa.Column("vega", sa.Float(), nullable=False),
        sa.Column("theta", sa.Float(), nullable=False),
        sa.Column("exposure", optionpilot.persistence.types.Money(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_equity_points_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_points")),
    )
    op.create_index(
        op.f("ix_equity_points_run_id_account_id_ts"),
        "equity_points",
        ["run_id", "account_id", "ts"],
        unique=False,
    )

    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("fill_id", sa.String(length=96), nullable=False),
        sa.Column("client_order_id", sa.String(length=96), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("leg_index", sa.Integer(), nullable=False),
        sa.Column("instrument_key", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("option_right", sa.String(length=1), nullable=True),
        sa.Column("strike", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("multiplier", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("fee", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("effect", sa.String(length=8), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_fills_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("run_id", "fill_id", name=op.f("uq_fills_run_id_fill_id")),
    )
    op.create_index(op.f("ix_fills_client_order_id"), "fills", ["client_order_id"], unique=False)

    op.create_table(
        "iv_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("atm_iv", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_iv_history_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iv_history")),
        sa.UniqueConstraint("symbol", "day", "source", name=op.f("uq_iv_history_symbol_day_source")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amount", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("ref", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_ledger_entries_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_run_id_account_id_ts"),
        "ledger_entries",
        ["run_id", "account_id", "ts"],
        unique=False,
    )

    op.create_table(
        "news",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("news_id", sa.String(length=128), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("tickers", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sentiment_label", sa.String(length=16), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("sentiment_confidence", sa.Float(), nullable=False),
        sa.Column("sentiment_model", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_news_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news")),
        sa.UniqueConstraint("run_id", "news_id", name=op.f("uq_news_run_id_news_id")),
    )
    op.create_table(
        "order_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=96), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filled_quantity", sa.Integer(), nullable=False),
        sa.Column("broker_order_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_order_events_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(
        op.f("ix_order_events_client_order_id"), "order_events", ["client_order_id"], unique=False
    )

    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(length=96), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("legs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("limit_price", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("tif", sa.String(length=8), nullable=False),
        sa.Column("position_id", sa.String(length=96), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.String(length=96), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("filled_quantity", sa.Integer(), nullable=False),
        sa.Column("broker_order_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", optionpilot.persistence.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_orders_run_id_runs")),
        sa.PrimaryKeyConstraint("client_order_id", name=op.f("pk_orders")),
    )
    op.create_index(op.f("ix_orders_run_id_position_id"), "orders", ["run_id", "position_id"], unique=False)

    op.create_table(
        "position_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("position_id", sa.String(length=96), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", optionpilot.persistence.types.Money(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_position_events_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_events")),
    )
    op.create_index(
        op.f("ix_position_events_run_id_position_id"),
        "position_events",
        ["run_id", "position_id"],
        unique=False,
    )

    op.create_table(
        "position_legs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("position_id", sa.String(length=96), nullable=False),
        sa.Column("instrument_key", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("option_right", sa.String(length=1), nullable=True),
        sa.Column("strike", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("multiplier", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("avg_price", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("opened_quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_position_legs_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "position_id", "instrument_key", name=op.f("pk_position_legs")),
    )
    op.create_table(
        "positions",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("position_id", sa.String(length=96), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("strategy_type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("closed_at", optionpilot.persistence.types.UtcDateTime(), nullable=True),
        sa.Column("entry_reason", sa.Text(), nullable=False),
        sa.Column("exit_reason", sa.Text(), nullable=False),
        sa.Column("realized_pnl", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("fees", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("entry_cost", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("peak_value", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("partials_taken", sa.Integer(), nullable=False),
        sa.Column("meta", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_positions_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "position_id", name=op.f("pk_positions")),
    )
    op.create_index(op.f("ix_positions_run_id_status"), "positions", ["run_id", "status"], unique=False)

    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("recommendation_id", sa.String(length=96), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("strategy_type", sa.String(length=64), nullable=False),
        sa.Column("legs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("limit_price", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("position_id", sa.String(length=96), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", optionpilot.persistence.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_recommendations_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint(
            "run_id", "recommendation_id", name=op.f("uq_recommendations_run_id_recommendation_id")
        ),
    )
    op.create_index(
        op.f("ix_recommendations_run_id_position_id"),
        "recommendations",
        ["run_id", "position_id"],
        unique=False,
    )
    op.create_index(op.f("ix_recommendations_status_ts"), "recommendations", ["status", "ts"], unique=False)

    op.create_table(
        "rejections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=96), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_rejections_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejections")),
    )
    op.create_index(
        op.f("ix_rejections_run_id_stage_rule"), "rejections", ["run_id", "stage", "rule"], unique=False
    )

    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=96), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("instrument_key", sa.String(length=64), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("option_right", sa.String(length=1), nullable=True),
        sa.Column("strike", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("multiplier", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("settlement_price", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("cash", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_settlements_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("run_id", "event_id", name=op.f("uq_settlements_run_id_event_id")),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("trade_style", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("features", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_signals_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    op.create_index(op.f("ix_signals_run_id_ts"), "signals", ["run_id", "ts"], unique=False)

    op.create_table(
        "strategy_candidates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=96), nullable=False),
        sa.Column("ts", optionpilot.persistence.types.UtcDateTime(), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("strategy_type", sa.String(length=64), nullable=False),
        sa.Column("legs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("net_premium", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("max_profit", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("max_loss", optionpilot.persistence.types.Money(), nullable=True),
        sa.Column("breakevens", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("pop", sa.Float(), nullable=False),
        sa.Column("expected_value", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("gamma", sa.Float(), nullable=False),
        sa.Column("vega", sa.Float(), nullable=False),
        sa.Column("theta", sa.Float(), nullable=False),
        sa.Column("margin", optionpilot.persistence.types.Money(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "score_components", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("conviction", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_strategy_candidates_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_candidates")),
        sa.UniqueConstraint(
            "run_id", "candidate_id", name=op.f("uq_strategy_candidates_run_id_candidate_id")
        ),
    )
    op.create_index(
        op.f("ix_strategy_candidates_run_id_underlying_score"),
        "strategy_candidates",
        ["run_id", "underlying", "score"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_strategy_candidates_run_id_underlying_score"), table_name="strategy_candidates")

    op.drop_table("strategy_candidates")
    op.drop_index(op.f("ix_signals_run_id_ts"), table_name="signals")

    op.drop_table("signals")
    op.drop_table("settlements")
    op.drop_index(op.f("ix_rejections_run_id_stage_rule"), table_name="rejections")

    op.drop_table("rejections")
    op.drop_index(op.f("ix_recommendations_status_ts"), table_name="recommendations")
    op.drop_index(op.f("ix_recommendations_run_id_position_id"), table_name="recommendations")

    op.drop_table("recommendations")
    op.drop_index(op.f("ix_positions_run_id_status"), table_name="positions")

    op.drop_table("positions")
    op.drop_table("position_legs")
    op.drop_index(op.f("ix_position_events_run_id_position_id"), table_name="position_events")

    op.drop_table("position_events")
    op.drop_index(op.f("ix_orders_run_id_position_id"), table_name="orders")

    op.drop_table("orders")
    op.drop_index(op.f("ix_order_events_client_order_id"), table_name="order_events")

    op.drop_table("order_events")
    op.drop_table("news")
    op.drop_index(op.f("ix_ledger_entries_run_id_account_id_ts"), table_name="ledger_entries")

    op.drop_table("ledger_entries")
    op.drop_table("iv_history")
    op.drop_index(op.f("ix_fills_client_order_id"), table_name="fills")

    op.drop_table("fills")
    op.drop_index(op.f("ix_equity_points_run_id_account_id_ts"), table_name="equity_points")

    op.drop_table("equity_points")
    op.drop_table("allocations")
    op.drop_table("accounts")
    op.drop_table("runs")
