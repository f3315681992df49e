"""The schema as SQLAlchemy Core tables. Every row carries its run id so many runs share one database.

Alembic migrations create and change these tables; `tests/integration/persistence` checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from optionpilot.persistence.types import Money, UtcDateTime, json_type

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _run() -> sa.Column[str]:
    return sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False)


def _instrument() -> list[sa.Column[object]]:
    """What a ledger and a report need about an instrument; option columns are null for shares."""
    return [
        sa.Column("instrument_key", sa.String(64), nullable=False),
        sa.Column("underlying", sa.String(32), nullable=False),
        sa.Column("option_right", sa.String(1)),
        sa.Column("strike", Money()),
        sa.Column("expiry", sa.Date),
        sa.Column("multiplier", sa.Integer, nullable=False),
    ]


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("seed", sa.BigInteger),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime()),
    # Text, not JSON: stored byte for byte as the caller masked it.
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("summary_json", sa.Text),
    # running | completed | failed | interrupted (see persistence.run_status); error is failed's one line.
    sa.Column("status", sa.String(16), nullable=False, server_default="completed"),
    sa.Column("error", sa.Text),
    # Who runs it: a run whose process is gone (same host) or whose heartbeat is stale becomes interrupted.
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Column("heartbeat_at", UtcDateTime()),
)

accounts = sa.Table(
    "accounts",
    metadata,
    _run(),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("starting_cash", Money(), nullable=False),
    sa.Column("currency", sa.String(8), nullable=False),
    sa.PrimaryKeyConstraint("run_id", "account_id"),
)

news = sa.Table(
    "news",
    metadata,
    _id(),
    _run(),
    sa.Column("news_id", sa.String(128), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("headline", sa.Text, nullable=False),
    sa.Column("source", sa.String(128), nullable=False),
    sa.Column("tickers", json_type(), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("sentiment_label", sa.String(16), nullable=False),
    sa.Column("sentiment_score", sa.Float, nullable=False),
    sa.Column("sentiment_confidence", sa.Float, nullable=False),
    sa.Column("sentiment_model", sa.String(64), nullable=False),
    sa.UniqueConstraint("run_id", "news_id"),
)

signals = sa.Table(
    "signals",
    metadata,
    _id(),
    _run(),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("underlying", sa.String(32), nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("trade_style", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("features", json_type(), nullable=False),
    sa.Index(None, "run_id", "ts"),
)

features = sa.Table(
    "features",
    metadata,
    _id(),
    _run(),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("symbol", sa.String(32), nullable=False),
    sa.Column("values", json_type(), nullable=False),
    sa.Index(None, "run_id", "symbol", "ts"),
)

recommendations = sa.Table(
    "recommendations",
    metadata,
    _id(),
    _run(),
    sa.Column("recommendation_id", sa.String(96), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("underlying", sa.String(32), nullable=False),
    sa.Column("strategy_type", sa.String(64), nullable=False),
    sa.Column("legs", json_type(), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("limit_price", Money()),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("position_id", sa.String(96)),
    # Work queue for dispatcher processes: pending -> claimed -> done | failed.
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("claimed_by", sa.String(128)),
    sa.Column("claimed_at", UtcDateTime()),
    sa.UniqueConstraint("run_id", "recommendation_id"),
    sa.Index(None, "status", "ts"),
    sa.Index(None, "run_id", "position_id"),
)

rejections = sa.Table(
    "rejections",
    metadata,
    _id(),
    _run(),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("rule", sa.String(96), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("underlying", sa.String(32), nullable=False),
    sa.Column("account_id", sa.String(64)),
    sa.Column("details", json_type(), nullable=False),
    sa.Index(None, "run_id", "stage", "rule"),
)

orders = sa.Table(
    "orders",
    metadata,
    # Unique across the whole database: two processes can never store (and so send) the same order.
    sa.Column("client_order_id", sa.String(96), primary_key=True),
    _run(),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("underlying", sa.String(32), nullable=False),
    sa.Column("legs", json_type(), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("order_type", sa.String(16), nullable=False),
    sa.Column("limit_price", Money()),
    sa.Column("tif", sa.String(8), nullable=False),
    sa.Column("position_id", sa.String(96)),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("parent_id", sa.String(96)),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("status_reason", sa.Text, nullable=False),
    sa.Column("filled_quantity", sa.Integer, nullable=False),
    sa.Column("broker_order_id", sa.String(128)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime()),
    sa.Index(None, "run_id", "position_id"),
)

order_events = sa.Table(
    "order_events",
    metadata,
    _id(),
    _run(),
    sa.Column("client_order_id", sa.String(96), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("filled_quantity", sa.Integer, nullable=False),
    sa.Column("broker_order_id", sa.String(128)),
    sa.Index(None, "client_order_id"),
)

fills = sa.Table(
    "fills",
    metadata,
    _id(),
    _run(),
    sa.Column("fill_id", sa.String(96), nullable=False),
    sa.Column("client_order_id", sa.String(96), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("leg_index", sa.Integer, nullable=False),
    *_instrument(),
    sa.Column("side", sa.String(4), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", Money(), nullable=False),
    sa.Column("fee", Money(), nullable=False),
    sa.Column("effect", sa.String(8), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    # The broker's execution id: a fill is stored once per account, whatever delivered it twice.
    sa.Column("execution_id", sa.String(96), nullable=False),
    sa.UniqueConstraint("run_id", "fill_id"),
    sa.UniqueConstraint("account_id", "execution_id"),
    sa.Index(None, "client_order_id"),
)

incidents = sa.Table(
    "incidents",
    metadata,
    _id(),
    _run(),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("client_order_id", sa.String(96)),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Index(None, "run_id", "account_id"),
)

settlements = sa.Table(
    "settlements",
    metadata,
    _id(),
    _run(),
    sa.Column("event_id", sa.String(96), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    *_instrument(),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("settlement_price", Money(), nullable=False),
    sa.Column("cash", Money(), nullable=False),
    sa.Column("shares", sa.Integer, nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("run_id", "event_id"),
)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    _id(),
    _run(),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("ref", sa.String(128), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Index(None, "run_id", "account_id", "ts"),
)

positions = sa.Table(
    "positions",
    metadata,
    _run(),
    sa.Column("position_id", sa.String(96), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("underlying", sa.String(32), nullable=False),
    sa.Column("strategy_type", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("entry_reason", sa.Text, nullable=False),
    sa.Column("exit_reason", sa.Text, nullable=False),
    sa.Column("realized_pnl", Money(), nullable=False),
    sa.Column("fees", Money(), nullable=False),
    sa.Column("entry_cost", Money(), nullable=False),
    sa.Column("peak_value", Money(), nullable=False),
    sa.Column("partials_taken", sa.Integer, nullable=False),
    sa.Column("meta", json_type(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # One unit's Greeks and the nearest-the-money leg's IV when the entry was sent (see domain.positions).
    sa.Column("entry_delta", sa.Float),
    sa.Column("entry_theta", sa.Float),
    sa.Column("entry_vega", sa.Float),
    sa.Column("entry_iv", sa.Float),
    sa.PrimaryKeyConstraint("run_id", "position_id"),
    sa.Index(None, "run_id", "status"),
)

position_legs = sa.Table(
    "position_legs",
    metadata,
    _run(),
    sa.Column("position_id", sa.String(96), nullable=False),
    *_instrument(),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("avg_price", Money(), nullable=False),
    sa.Column("opened_quantity", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("run_id", "position_id", "instrument_key"),
)

position_events = sa.Table(
    "position_events",
    metadata,
    _id(),
    _run(),
    sa.Column("position_id", sa.String(96), nullable=False),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("price", Money()),
    sa.Index(None, "run_id", "position_id"),
)

equity_points = sa.Table(
    "equity_points",
    metadata,
    _id(),
    _run(),
    sa.Column("account_id", sa.String(64), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("cash", Money(), nullable=False),
    sa.Column("equity", Money(), nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("gamma", sa.Float, nullable=False),
    sa.Column("vega", sa.Float, nullable=False),
    sa.Column("theta", sa.Float, nullable=False),
    sa.Column("exposure", Money(), nullable=False),
    sa.Index(None, "run_id", "account_id", "ts"),
)

iv_history = sa.Table(
    "iv_history",
    metadata,
    _id(),
    # IV history is market data shared by runs; run_id names the run that collected it, if any.
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id")),
    sa.Column("symbol", sa.String(32), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("atm_iv", sa.Float, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.UniqueConstraint("symbol", "day", "source"),
)

strategy_candidates = sa.Table(
    "strategy_candidates",
    metadata,
    _id(),
    _run(),
    sa.Column("candidate_id", sa.String(96), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("underlying", sa.String(32), nullable=False),
    sa.Column("strategy_type", sa.String(64), nullable=False),
    sa.Column("legs", json_type(), nullable=False),
    sa.Column("net_premium", Money(), nullable=False),
    sa.Column("max_profit", Money()),
    sa.Column("max_loss", Money()),
    sa.Column("breakevens", json_type(), nullable=False),
    sa.Column("pop", sa.Float, nullable=False),
    sa.Column("expected_value", Money(), nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("gamma", sa.Float, nullable=False),
    sa.Column("vega", sa.Float, nullable=False),
    sa.Column("theta", sa.Float, nullable=False),
    sa.Column("margin", Money(), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("score_components", json_type(), nullable=False),
    sa.Column("conviction", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.UniqueConstraint("run_id", "candidate_id"),
    sa.Index(None, "run_id", "underlying", "score"),
)

allocations = sa.Table(
    "allocations",
    metadata,
    _id(),
    _run(),
    sa.Column("plan_id", sa.String(96), nullable=False),
    sa.Column("candidate_id", sa.String(96), nullable=False),
    sa.Column("ts", UtcDateTime(), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("industry", sa.String(64), nullable=False),
    sa.Column("position_type", sa.String(8), nullable=False),
    sa.Column("lots", sa.Integer, nullable=False),
    sa.Column("capital", Money(), nullable=False),
    sa.Column("max_loss", Money(), nullable=False),
    sa.Column("expected_return", Money(), nullable=False),
    sa.Column("kelly_fraction", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.UniqueConstraint("run_id", "plan_id", "candidate_id"),
)

# -- operator controls (issue 17): kept per account name, across runs ----------------------------------------

# The trading state of each account (active / reducing / halted), whoever set it: a rule or the operator.
# Not per run: a restarted `run` (or a standing account's verb) keeps the state it finds here.
account_states = sa.Table(
    "account_states",
    metadata,
    sa.Column("account", sa.String(128), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("changed_by", sa.String(16), nullable=False),  # rule | operator
    sa.Column("changed_at", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.String(64)),  # the run whose rule set it; null for the operator
)

# What the operator asked of a running `run` (kill, resume, close): the run takes each command meant for
# it (run_id, account), carries it out and writes the outcome; the command line waits for it.
operator_commands = sa.Table(
    "operator_commands",
    metadata,
    _id(),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("account", sa.String(128), nullable=False),
    sa.Column("verb", sa.String(16), nullable=False),
    sa.Column("position_id", sa.String(96)),
    sa.Column("quantity", sa.Integer),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | working | done | failed
    sa.Column("result", sa.Text),
    sa.Column("updated_at", UtcDateTime()),
    sa.Index(None, "run_id", "status"),
)

# A running run's health, replaced as it goes: when it last had market data and heard from its broker, its
# errors and refusals in the last hour; `status` shows it. Times are the run's clock.
run_health = sa.Table(
    "run_health",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("health_json", sa.Text, nullable=False),
)

# A parameter sweep (issue 16): its spec as given, the objective it ranks by. Its backtests are ordinary runs,
# tied to it through `sweep_runs`.
sweeps = sa.Table(
    "sweeps",
    metadata,
    sa.Column("sweep_id", sa.String(64), primary_key=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("objective", sa.String(32), nullable=False),
    sa.Column("spec_json", sa.Text, nullable=False),
)

# One parameter set of a sweep on one window. `param_key` (a hash of the parameters, window, seed and role)
# is how a resumed sweep finds the backtests already done; `role` is grid, or train/test of a walk-forward
# fold.
sweep_runs = sa.Table(
    "sweep_runs",
    metadata,
    sa.Column("sweep_id", sa.String(64), sa.ForeignKey("sweeps.sweep_id"), primary_key=True),
    sa.Column("param_key", sa.String(64), primary_key=True),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
    sa.Column("params_json", sa.Text, nullable=False),
    sa.Column("role", sa.String(8), nullable=False),
    sa.Column("fold", sa.Integer),
    sa.Index(None, "run_id"),
)

# A finished run's headline figures per account (final equity, return, Sharpe, drawdown, trades...), as JSON
# text: `runs list` and the sweeps read them instead of recomputing every run's metrics.
run_figures = sa.Table(
    "run_figures",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("account_id", sa.String(64), primary_key=True),
    sa.Column("figures_json", sa.Text, nullable=False),
)

# The broker's security master (Dhan's scrip master): market data shared by runs, keyed by the broker's
# own security id, so chains, orders and positions map between OCC-style keys and broker ids through it.
instruments = sa.Table(
    "instruments",
    metadata,
    sa.Column("broker", sa.String(16), nullable=False),
    sa.Column("security_id", sa.BigInteger, nullable=False),
    sa.Column("exchange", sa.String(8), nullable=False),
    sa.Column("segment", sa.String(8), nullable=False),
    sa.Column("instrument", sa.String(16), nullable=False),
    sa.Column("trading_symbol", sa.String(64), nullable=False),
    sa.Column("underlying", sa.String(32)),
    sa.Column("expiry", sa.Date),
    sa.Column("strike", Money()),
    sa.Column("option_type", sa.String(2)),
    sa.Column("lot_size", sa.Integer, nullable=False),
    sa.Column("tick_size", Money(), nullable=False),
    sa.Column("freeze_quantity", sa.Integer),
    sa.PrimaryKeyConstraint("broker", "exchange", "segment", "security_id"),
    sa.Index(None, "underlying", "expiry", "strike", "option_type"),
)
