"""`optionpilot iv collect | analyze`: the daily ATM IV history behind IV rank and percentile."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import typer

from optionpilot.app import multileg as ml
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.workflow_common import ConfigOpt, DataOpt, DbOpt, JsonOpt, MarketOpt, SymbolOpt
from optionpilot.cli.workflow_common import config_and_db as _config
from optionpilot.cli.workflow_common import emit as _emit
from optionpilot.persistence import strategy_store as store
from optionpilot.persistence.database import DatabaseConfig
from optionpilot.persistence.strategy_store import StandingRecorder
from optionpilot.signals.iv import IvConfig, iv_percentile, iv_rank

iv_app = typer.Typer(no_args_is_help=True, add_completion=False, help="Daily ATM IV history and percentiles.")


@iv_app.command("collect")
def iv_collect(
    symbol: SymbolOpt = None,
    data: DataOpt = None,
    market: MarketOpt = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Sessions back from the last one")] = 1,
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store today's (and with --days, earlier sessions') 30-day ATM IV per symbol from the market."""
    from optionpilot.persistence.scan_records import IvPoint

    with one_line_errors():
        cfg, url = _config(config, db)
        view = ml.open_market(cfg, data=data, market=market, symbols=symbol)
        day = view.session.day
        points: list[IvPoint] = []
        for sym in view.symbols:
            hist = view.market.atm_iv_history(sym, day, days)
            sessions = view.market.calendar.sessions_ending(
                view.market.calendar.previous_session(day), len(hist)
            )
            points += [
                IvPoint(sym, s.day, float(v), f"market:{view.label}")
                for s, v in zip(sessions[-len(hist) :], hist, strict=False)
                if np.isfinite(v) and v > 0
            ]
        rec = StandingRecorder(url, DatabaseConfig(url=url))
        try:
            rec.record_iv_history(points)
        finally:
            rec.close()
    payload = {"stored": len(points), "symbols": view.symbols, "through": day.isoformat()}
    note = f"stored {len(points)} daily ATM IV points of {len(view.symbols)} symbols before {day}"
    _emit(as_json, payload, notes=[note])


@iv_app.command("analyze")
def iv_analyze(
    symbol: SymbolOpt = None,
    lookback: Annotated[int, typer.Option("--lookback", min=2, help="Sessions of history")] = 252,
    db: DbOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """IV rank and percentile of each symbol's latest stored ATM IV against its stored history."""
    import sqlalchemy as sa

    from optionpilot.persistence import tables as t
    from optionpilot.persistence.database import create_engine

    with one_line_errors():
        _, url = _config(config, db)
        engine = create_engine(url, DatabaseConfig(url=url))
        with engine.connect() as conn:
            names = sorted({str(r[0]) for r in conn.execute(sa.select(t.iv_history.c.symbol).distinct())})
        wanted = [s.upper() for s in symbol] if symbol else names
        from datetime import date

        hist = store.iv_history(engine, wanted, date.max)
        engine.dispose()
        if not hist:
            fail("no IV history stored: run `optionpilot iv collect` (or a scan) first")
    cfg_iv = IvConfig(lookback_sessions=lookback)
    rows: list[dict[str, Any]] = []
    for sym in wanted:
        pts = hist.get(sym, [])
        if not pts:
            continue
        day, current = pts[-1]
        past = [v for _, v in pts[:-1]]
        pct = iv_percentile(current, past, cfg_iv)
        rk = iv_rank(current, past, cfg_iv)
        rows.append({"symbol": sym, "day": day.isoformat(), "atm_iv": round(current, 4),
                     "sessions": len(past),
                     "iv_percentile": None if pct is None else round(100 * pct, 1),
                     "iv_rank": None if rk is None else round(rk, 4)})  # fmt: skip
    _emit(
        as_json, {"symbols": rows}, title="ATM IV percentiles",
        columns=("symbol", "day", "ATM IV", "sessions", "percentile", "rank"),
        right=("ATM IV", "sessions", "percentile", "rank"),
        rows=[(r["symbol"], r["day"], f"{r['atm_iv']:.1%}", str(r["sessions"]),
               "-" if r["iv_percentile"] is None else f"{r['iv_percentile']:.0f}",
               "-" if r["iv_rank"] is None else f"{r['iv_rank']:.2f}") for r in rows],
    )  # fmt: skip
