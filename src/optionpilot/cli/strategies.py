"""`optionpilot scan | allocate | execute | monitor`: the multi-leg strategy workflow (seed 004).

Simulation by default: the built-in simulator (or `--data STORE`) and the standing simulated account in
the database (see `app.multileg`). `--live` refuses: no live broker adapter exists yet.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from optionpilot.app import multileg as ml
from optionpilot.app import multileg_plan as mlp
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.plan_views import allocation_view, execution_view
from optionpilot.cli.workflow_common import (
    AccountOpt,
    ConfigOpt,
    DataOpt,
    DbOpt,
    JsonOpt,
    LiveOpt,
    MarketOpt,
    SymbolOpt,
)
from optionpilot.cli.workflow_common import (
    config_and_db as _config,
)
from optionpilot.cli.workflow_common import (
    emit as _emit,
)
from optionpilot.cli.workflow_common import (
    refuse_live as _refuse_live,
)
from optionpilot.decisions.strategies.scoring import RiskTolerance

app = typer.Typer(no_args_is_help=True, add_completion=False)

# -- scan ---------------------------------------------------------------------------------------------------


@app.command()
def scan(
    symbol: SymbolOpt = None,
    risk: Annotated[RiskTolerance | None, typer.Option("--risk", help="Risk tolerance")] = None,
    data: DataOpt = None,
    market: MarketOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Analyse each underlying; build, score, rank and store every strategy; print the best per symbol."""
    with one_line_errors():
        cfg, url = _config(config, db)
        view = ml.open_market(cfg, data=data, market=market, symbols=symbol)
        started = time.perf_counter()
        out = ml.run_scan(view, url, risk=risk)
        elapsed = time.perf_counter() - started
    rows: list[dict[str, Any]] = []
    for sym, ranking in out.result.rankings.items():
        b = ranking.best
        rows.append(
            {
                "symbol": sym,
                "view": ranking.view.direction.value,
                "iv_environment": ranking.view.iv_environment.value,
                "strategy": b.strategy.value if b else None,
                "candidate_id": b.candidate_id if b else None,
                "conviction": b.conviction.value if b else None,
                "confidence": round(b.confidence, 4) if b else None,
                "score": round(b.score, 4) if b else None,
                "net_debit": str(b.net_debit) if b else None,
                "max_profit": None if b is None or b.max_profit is None else str(b.max_profit),
                "max_loss": None if b is None or b.max_loss is None else str(b.max_loss),
                "pop": round(b.pop, 4) if b else None,
                "margin": str(b.margin) if b else None,
                "ranked": len(ranking.candidates),
                "evaluated": ranking.evaluated,
            }
        )
    payload = {
        "run_id": out.run_id,
        "day": out.result.day.isoformat(),
        "stored": out.stored,
        "evaluated": out.result.evaluated,
        "skipped": out.result.skipped,
        "vix": out.result.vix,
        "vix_regime": out.result.vix_regime.value,
        "best": rows,
    }
    vix = "none" if out.result.vix is None else f"{out.result.vix:.1f}"
    _emit(
        as_json, payload, title=f"scan {out.run_id}: best strategy per symbol",
        columns=("symbol", "view", "IV", "strategy", "conviction", "score", "debit/sh", "max profit",
                 "max loss", "POP", "margin"),
        right=("score", "debit/sh", "max profit", "max loss", "POP", "margin"),
        rows=[(r["symbol"], r["view"], r["iv_environment"], r["strategy"] or "-", r["conviction"] or "-",
               f"{r['score']:.2f}" if r["score"] is not None else "-", r["net_debit"] or "-",
               r["max_profit"] or ("unlimited" if r["strategy"] else "-"),
               r["max_loss"] or ("unlimited" if r["strategy"] else "-"),
               f"{r['pop']:.0%}" if r["pop"] is not None else "-", r["margin"] or "-") for r in rows],
        notes=[
            *(f"skipped {sym}: {why}" for sym, why in out.result.skipped.items()),
            f"{out.result.evaluated:,} candidates evaluated in {elapsed:.1f}s, {out.stored} ranked and "
            f"stored; volatility index {vix} ({out.result.vix_regime.value})",
        ],
    )  # fmt: skip


# -- allocate -----------------------------------------------------------------------------------------------


@app.command()
def allocate(
    capital: Annotated[str, typer.Argument(help="Capital to allocate, in the scan's currency")],
    account: AccountOpt = None,
    data: DataOpt = None,
    market: MarketOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Spread CAPITAL across the latest scan's ranked strategies that `execute` would enter; store the plan.

    Give it the --data/--market (and --account) `execute` will use: candidates are screened against
    that account and market now, and each one left out is printed with its rule and reason.
    """
    with one_line_errors():
        try:
            amount = Decimal(capital.replace(",", "").replace("_", ""))
        except InvalidOperation:
            fail(f"CAPITAL {capital!r} is not a number")
        if not amount.is_finite() or amount <= 0:
            fail(f"CAPITAL must be a positive amount, got {capital}")
        cfg, url = _config(config, db)
        view = ml.open_market(cfg, data=data, market=market)
        out = mlp.run_allocate(view, url, amount, account_name=account)
    payload, notes = allocation_view(out)
    positions = payload["positions"]
    _emit(
        as_json, payload, title=f"allocation {out.plan_id} of {out.scan_run}",
        columns=("symbol", "strategy", "lots", "capital", "tier", "industry", "type", "conviction"),
        right=("lots", "capital", "tier"),
        rows=[(p["symbol"], p["strategy"], str(p["lots"]), f"{Decimal(p['capital']):,.0f}", str(p["tier"]),
               p["industry"], p["position_type"], p["conviction"]) for p in positions],
        notes=notes,
    )  # fmt: skip


# -- execute ------------------------------------------------------------------------------------------------


@app.command()
def execute(
    strategy_id: Annotated[
        list[str] | None, typer.Option("--strategy-id", help="A candidate id of the latest scan; repeat")
    ] = None,
    live: LiveOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Enter a strategy again the same day")] = False,
    account: AccountOpt = None,
    data: DataOpt = None,
    market: MarketOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Place the allocated (or given) strategies as multi-leg orders; entry prices come from the fills."""
    with one_line_errors():
        cfg, url = _config(config, db)
        _refuse_live(live, market or cfg.market.market)
        view = ml.open_market(cfg, data=data, market=market)
        rows, st = mlp.run_execute(view, url, candidate_ids=strategy_id, force=force, account_name=account)
    payload, notes = execution_view(rows, st)
    _emit(
        as_json, payload, title=f"execute on {st.account.name} ({st.run_id})",
        columns=("symbol", "strategy", "lots", "filled", "position", "status", "entry/sh", "rule"),
        right=("lots", "filled", "entry/sh"),
        rows=[(r.underlying, r.strategy, str(r.lots), str(r.filled_lots), r.position_id or "-", r.status,
               "-" if r.entry is None else str(r.entry), r.rule) for r in rows],
        notes=notes,
    )  # fmt: skip
    if any(not rep.ok for rep in st.reports):
        raise typer.Exit(1)


# -- monitor ------------------------------------------------------------------------------------------------


@app.command()
def monitor(
    once: Annotated[bool, typer.Option("--once", help="One cycle, then stop")] = False,
    interval: Annotated[int, typer.Option("--interval", min=1, help="Seconds between cycles")] = 300,
    cycles: Annotated[int, typer.Option("--cycles", min=1, help="Stop after this many cycles")] = 10**9,
    alert_only: Annotated[
        bool, typer.Option("--alert-only", help="Evaluate and alert; send no order")
    ] = False,
    live: LiveOpt = False,
    account: AccountOpt = None,
    data: DataOpt = None,
    market: MarketOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark every open strategy leg by leg, evaluate exits with urgency, and act unless --alert-only.

    On the simulator each cycle moves the simulated clock by the interval (until the session closes).
    """
    with one_line_errors():
        cfg, url = _config(config, db)
        _refuse_live(live, market or cfg.market.market)
        view = ml.open_market(cfg, data=data, market=market)
        st = ml.open_standing(view, url, account)
        results: list[list[Any]] = []
        try:
            n = 1 if once else cycles
            for i in range(n):
                rows = ml.run_monitor_cycle(st, act=not alert_only)
                results.append(rows)
                _print_cycle(rows, as_json, st.view.clock.now().isoformat(), alert_only)
                nxt = st.view.clock.now().timestamp() + interval
                if i + 1 >= n or nxt >= st.view.session.close.timestamp():
                    break
                from datetime import UTC, datetime

                st.view.clock.advance_to(datetime.fromtimestamp(nxt, UTC))
        finally:
            st.close()
    if any(not rep.ok for rep in st.reports):
        raise typer.Exit(1)


def _print_cycle(rows: list[Any], as_json: bool, at: str, alert_only: bool) -> None:
    payload = {
        "at": at,
        "alert_only": alert_only,
        "positions": [
            {
                "position_id": r.position_id,
                "symbol": r.underlying,
                "strategy": r.strategy,
                "units": r.units,
                "pnl": round(r.pnl, 2),
                "capture": round(r.capture, 4),
                "dte": r.dte,
                "action": r.action.value,
                "urgency": r.urgency,
                "rule": r.rule,
                "reason": r.reason,
                "acted": r.acted,
            }
            for r in rows
        ],
    }
    _emit(
        as_json, payload, title=f"monitor at {at}" + (" (alert only)" if alert_only else ""),
        columns=("position", "symbol", "strategy", "units", "P&L", "DTE", "action", "urgency", "acted",
                 "reason"),
        right=("units", "P&L", "DTE"),
        rows=[(r.position_id[-10:], r.underlying, r.strategy, str(r.units), f"{r.pnl:+,.2f}", str(r.dte),
               r.action.value, r.urgency, "yes" if r.acted else "no", r.reason[-90:]) for r in rows],
        notes=[] if rows else ["no open multi-leg position"],
    )  # fmt: skip
