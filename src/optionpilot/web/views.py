"""What each page shows, read from the database: one function per page, returning the template's context.

A page shows one run: the one named by `?run=`, else the newest still running, else the newest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.operator import AccountStatus, Operator
from optionpilot.persistence import dashboard_reads as reads
from optionpilot.persistence.read_models import ReadModels, RunRow
from optionpilot.web import charts
from optionpilot.web.tables import Column, build

POSITIONS_PER_PAGE = 200
_PAYOFFS_SHOWN = 30  # payoff diagrams drawn per page; a position past these has its table row only


def pick_run(models: ReadModels, wanted: str | None) -> tuple[RunRow | None, list[RunRow]]:
    runs = models.runs()
    if wanted:
        found = next((r for r in runs if r.run_id == wanted), None)
        return found, runs
    running = [r for r in runs if r.status == "running"]
    chosen = running or runs
    return (chosen[-1] if chosen else None), runs


def _as_of(models: ReadModels, run: RunRow) -> date:
    """The run's own today: its last equity point's day (a backtest's today is its last session)."""
    latest = None
    for acct in models.accounts(run.run_id):
        curve = models.equity_curve(run.run_id, acct.account_id)
        if curve and (latest is None or curve[-1].ts > latest):
            latest = curve[-1].ts
    return (latest or run.ended_at or run.started_at).date()


def overview(
    models: ReadModels, operator: Operator, config: OptionPilotConfig, run: RunRow
) -> dict[str, Any]:
    statuses = {s.account: s for s in operator.status()}
    caps = config.strategy.risk.greek_caps
    accounts = []
    figures = []
    for acct in models.accounts(run.run_id):
        curve = models.equity_curve(run.run_id, acct.account_id)
        greeks = models.greeks_over_time(run.run_id, acct.account_id)
        last = curve[-1] if curve else None
        day = last.ts.date() if last else None
        opening = next((p.equity for p in curve if p.ts.date() == day), None)
        changes = models.state_changes(run.run_id, acct.account_id)
        status = statuses.get(acct.name)
        state = (
            status.state
            if status and status.run_id == run.run_id
            else (changes[-1].to_state if changes else "active")
        )
        g = greeks[-1] if greeks else None
        equity = last.equity if last else acct.starting_cash
        vega_cap = caps.vega_equity_pct * float(equity)
        accounts.append(
            {
                "account_id": acct.account_id,
                "name": acct.name,
                "currency": acct.currency,
                "state": state.upper(),
                "state_reason": (
                    status.reason if status and status.reason else (changes[-1].reason if changes else "")
                ),
                # A running run's pulse: its clock, its last market data and heartbeat (operated runs only).
                "health": _health(status) if status and status.run_id == run.run_id else "",
                # What every later run starts with (the operator's kill or resume, or a rule's halt).
                "stored": (
                    f"{status.state.upper()} by {status.changed_by} at {status.changed_at}: {status.reason}"
                    if status and status.changed_by
                    else ""
                ),
                "equity": equity,
                "cash": last.cash if last else acct.starting_cash,
                "buying_power": last.cash if last else acct.starting_cash,
                "pnl_today": (equity - opening) if opening is not None else None,
                "drawdown_pct": last.drawdown_pct if last else 0.0,
                "breaker": status.breaker
                if status and status.run_id == run.run_id
                else _breaker(config, equity, opening),
                "delta": g.delta if g else 0.0,
                "gamma": g.gamma if g else 0.0,
                "theta": g.theta if g else 0.0,
                "vega": g.vega if g else 0.0,
                "vega_cap": vega_cap,
                "vega_use": abs(g.vega) / vega_cap if g and vega_cap > 0 else 0.0,
                "open_positions": models.open_position_count(run.run_id, acct.account_id),
            }
        )
        if curve:
            figures.append(
                charts.equity_figure(
                    acct.name,
                    [p.ts for p in curve],
                    [float(p.equity) for p in curve],
                    [p.drawdown_pct for p in curve],
                )
            )
    total, n_open = reads.order_counts(models.engine, run.run_id)
    return {
        "accounts": accounts,
        "figures": figures,
        "alerts": reads.incidents(models.engine, run.run_id, 20),
        "orders_total": total,
        "orders_open": n_open,
    }


def _health(status: AccountStatus) -> str:
    h = status.health
    mine = h.get("account") if isinstance(h.get("account"), dict) else {}
    parts = [
        f"run clock {h.get('clock', '-')}",
        f"last market data {h.get('last_market_data', '-')}",
        f"heartbeat {status.heartbeat_at or '-'}",
    ]
    if isinstance(mine, dict) and mine.get("last_broker_contact"):
        parts.append(f"broker {mine['last_broker_contact']}")
    return "; ".join(parts)


def _breaker(config: OptionPilotConfig, equity: Decimal, opening: Decimal | None) -> str:
    if opening is None or opening <= 0:
        return "-"
    risk = config.strategy.risk
    loss = float((opening - equity) / opening)
    reduce_at, halt_at = float(risk.daily_max_loss_pct), float(risk.daily_halt_loss_pct)
    return (
        f"{max(loss, 0):.2%} lost today; reducing at {reduce_at:.1%} ({max(reduce_at - loss, 0):.2%} away), "
        f"halted at {halt_at:.1%} ({max(halt_at - loss, 0):.2%} away)"
    )


POSITION_COLUMNS = (
    Column("position_id", "position"),
    Column("account_id", "account"),
    Column("underlying", "symbol"),
    Column("strategy_type", "strategy"),
    Column("status", "status"),
    Column("opened_at", "opened"),
    Column("dte", "DTE", True),
    Column("entry_cost", "entry cost", True),
    Column("realized_pnl", "realized", True),
    Column("fees", "fees", True),
    Column("entry_delta", "Δ", True),
    Column("entry_theta", "Θ/day", True),
    Column("entry_vega", "vega", True),
    Column("entry_iv", "IV", True),
)


def positions(
    models: ReadModels,
    config: OptionPilotConfig,
    run: RunRow,
    params: Mapping[str, str],
    page_size: int | None = POSITIONS_PER_PAGE,
) -> dict[str, Any]:
    open_only = params.get("show", "open") != "all"
    rows = reads.positions(models.engine, run.run_id, open_only=open_only, as_of=_as_of(models, run))
    if params.get("account"):
        rows = [r for r in rows if r["account_id"] == params["account"]]
    table = build(POSITION_COLUMNS, rows, params, "opened_at", page_size=page_size)
    exits = config.strategy.exits.model_dump()
    for r in table.rows:
        r["exit_rules"] = _exit_distances(r, exits)
    # Grouped by strategy (`long_call/swing_trade` is a long call), in the table's order within a group.
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in table.rows:
        groups.setdefault(str(r["strategy_type"]).split("/", 1)[0], []).append(r)
    payoffs = []
    for r in table.rows[:_PAYOFFS_SHOWN]:
        if len([leg for leg in r["legs"] if leg["quantity"]]) > 1:
            fig = charts.position_payoff(r["legs"], r["entry_iv"], f"{r['underlying']} {r['strategy_type']}")
            if fig is not None:
                payoffs.append((r["position_id"], fig))
    return {"table": table, "groups": groups, "payoffs": payoffs, "show": "open" if open_only else "all"}


def _exit_distances(row: dict[str, Any], exits: dict[str, Any]) -> str:
    """The time rule's distance (DTE) and the price rules' levels; a distance to those needs a live mark,
    which the database does not keep per position."""
    parts = [f"time: {row['dte']} DTE"] if row["dte"] is not None else []
    for key, label in (("profit_target", "target +"), ("stop_loss", "stop -"), ("trail_giveback", "trail ")):
        value = exits.get(key)
        if value is not None:
            parts.append(f"{label}{float(value):.0%}")
    return "; ".join(parts) or "-"


ORDER_COLUMNS = (
    Column("client_order_id", "client id"),
    Column("account_id", "account"),
    Column("underlying", "symbol"),
    Column("purpose", "purpose"),
    Column("order_type", "type"),
    Column("quantity", "qty", True),
    Column("limit_price", "limit", True),
    Column("status", "status"),
    Column("filled_quantity", "filled", True),
    Column("created_at", "created"),
    Column("updated_at", "updated"),
)


def orders(models: ReadModels, run: RunRow, params: Mapping[str, str]) -> dict[str, Any]:
    sort = params.get("sort", "created_at")
    rows = reads.orders(
        models.engine,
        run.run_id,
        status=params.get("status") or None,
        account=params.get("account") or None,
        symbol=params.get("symbol") or None,
        sort=sort,
        descending=params.get("desc", "1") == "1",
    )
    total, n_open = reads.order_counts(models.engine, run.run_id)
    return {
        "table": build(ORDER_COLUMNS, rows, params, "created_at", sort_here=False),
        "total": total,
        "open": n_open,
    }


DECISION_COLUMNS = (
    Column("ts", "time"),
    Column("kind", "kind"),
    Column("symbol", "symbol"),
    Column("account", "account"),
    Column("rule", "rule"),
    Column("what", "what"),
    Column("reason", "reason"),
)


def decisions(models: ReadModels, run: RunRow, params: Mapping[str, str]) -> dict[str, Any]:
    kind = params.get("kind")
    kinds = (
        (kind,)
        if kind in ("signal", "recommendation", "refusal", "entry", "exit")
        else ("signal", "recommendation", "refusal", "entry", "exit")
    )
    rows = reads.decisions(
        models.engine,
        run.run_id,
        symbol=params.get("symbol") or None,
        account=params.get("account") or None,
        rule=params.get("rule") or None,
        kinds=kinds,
    )
    return {"table": build(DECISION_COLUMNS, rows, params, "ts")}


STRATEGY_COLUMNS = (
    Column("rank", "rank", True),
    Column("underlying", "symbol"),
    Column("strategy_type", "strategy"),
    Column("score", "score", True),
    Column("pop", "POP", True),
    Column("expected_value", "EV", True),
    Column("max_loss", "max loss", True),
    Column("max_profit", "max profit", True),
    Column("net_premium", "net premium", True),
    Column("conviction", "conviction"),
    Column("tier", "tier"),
    Column("lots", "lots", True),
    Column("status", "status"),
)


def strategies(models: ReadModels, run: RunRow, params: Mapping[str, str]) -> dict[str, Any]:
    ts, rows = reads.latest_scan(models.engine, run.run_id)
    table = build(STRATEGY_COLUMNS, rows, params, "rank")
    if "sort" not in params:
        table = build(STRATEGY_COLUMNS, rows, {**params, "desc": "0"}, "rank")
    payoffs = []
    for r in table.rows[:12]:
        fig = charts.candidate_payoff(
            r["legs"], float(r["net_premium"]), f"#{r['rank']} {r['underlying']} {r['strategy_type']}"
        )
        if fig is not None:
            payoffs.append((r["candidate_id"], fig))
    return {"scan_at": ts, "table": table, "payoffs": payoffs}


def run_headline(models: ReadModels, run: RunRow) -> dict[str, Any]:
    accounts = []
    for acct in models.accounts(run.run_id):
        curve = models.equity_curve(run.run_id, acct.account_id)
        trades = models.closed_trades(run.run_id, acct.account_id)
        final = curve[-1].equity if curve else acct.starting_cash
        accounts.append(
            {
                "name": acct.name,
                "start": acct.starting_cash,
                "final": final,
                "return_pct": float(final / acct.starting_cash - 1) if acct.starting_cash else 0.0,
                "max_dd_pct": min((p.drawdown_pct for p in curve), default=0.0),
                "trades": len(trades),
                "wins": sum(1 for t in trades if t.net_pnl > 0),
                "net_pnl": sum((t.net_pnl for t in trades), Decimal(0)),
                "curve": [float(p.equity) for p in curve],
            }
        )
    head = {k: v for k, v in asdict(run).items() if k not in ("config_json", "summary_json", "pid", "host")}
    summary = json.loads(run.summary_json) if run.summary_json else {}
    return {"run": head, "accounts": accounts, "summary": summary if isinstance(summary, dict) else {}}


def runs(models: ReadModels, params: Mapping[str, str]) -> dict[str, Any]:
    rows = [run_headline(models, r) for r in models.runs()]
    flat = [
        {
            **h["run"],
            "accounts": ", ".join(f"{a['name']} {a['return_pct']:+.2%}" for a in h["accounts"]),
            "trades": sum(a["trades"] for a in h["accounts"]),
        }
        for h in rows
    ]
    cols = (
        Column("run_id", "run"),
        Column("mode", "mode"),
        Column("status", "status"),
        Column("started_at", "started"),
        Column("ended_at", "ended"),
        Column("trades", "trades", True),
        Column("accounts", "return per account"),
    )
    context: dict[str, Any] = {"table": build(cols, flat, params, "started_at")}
    a, b = params.get("a"), params.get("b")
    by_id = {h["run"]["run_id"]: h for h in rows}
    if a in by_id and b in by_id:
        pair = [by_id[a], by_id[b]]
        curves = [
            (f"{h['run']['run_id']} {acct['name']}", acct["curve"]) for h in pair for acct in h["accounts"]
        ]
        context["compare"] = {"runs": pair, "figure": charts.compare_figure(curves)}
    return context


def price(models: ReadModels, run: RunRow, symbol: str | None) -> dict[str, Any]:
    names = reads.symbols(models.engine, run.run_id)
    chosen = symbol if symbol in names else (names[0] if names else None)
    figure = None
    marks: list[dict[str, Any]] = []
    if chosen is not None:
        marks = reads.trade_marks(models.engine, run.run_id, chosen)
        figure = charts.price_figure(chosen, reads.price_series(models.engine, run.run_id, chosen), marks)
    return {"symbols": names, "symbol": chosen, "figure": figure, "marks": marks}
