"""The operator's commands: `run` (the long-running loop), `status`, `kill`, `resume`, `close`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from optionpilot.adapters.sim.scenarios import SCENARIOS
from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.operator import Operator, Outcome
from optionpilot.app.run_loop import build_sim_run
from optionpilot.app.settings import load_model
from optionpilot.cli.console import make_console, print_reconciliation
from optionpilot.cli.data import DEFAULT_STORE
from optionpilot.cli.database_url import prepare_sqlite_folder
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.cli.live_cmd import run_live
from optionpilot.engine.pipeline import FLOWS, MAIN_ONLY, Flow
from optionpilot.engine.ticker import Tick
from optionpilot.persistence.database import create_engine, mask_url
from optionpilot.persistence.migrate import upgrade_engine
from optionpilot.persistence.recorder import SqlRecorder

console = make_console()
_FLOWS: dict[str, tuple[Flow, ...]] = {"both": FLOWS, "main": MAIN_ONLY, "multileg": ("multileg",)}
_BROKERS = ("alpaca", "dhan")

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML configuration file")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one)")]
WaitOpt = Annotated[
    float, typer.Option("--wait", min=0, help="Seconds to wait for running runs to carry it out")
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why: stored with the state and shown everywhere")]


def _config(path: Path | None, db: str | None, over: dict[str, Any] | None = None) -> OptionPilotConfig:
    overrides: dict[str, Any] = dict(over or {})
    if db is not None:
        overrides.setdefault("run", {})["db"] = db
    return load_model(OptionPilotConfig, path, overrides=overrides)


@contextmanager
def _operator(config: Path | None, db: str | None) -> Iterator[Operator]:
    with one_line_errors():
        cfg = _config(config, db)
        prepare_sqlite_folder(cfg.run.db)
        engine = create_engine(cfg.run.db)
        try:
            upgrade_engine(engine)  # also finds runs whose process is gone: they are not running any more
            yield Operator(engine, cfg)
        finally:
            engine.dispose()


def run(
    broker: Annotated[
        str,
        typer.Option("--broker", help="sim (simulated, accelerated) or alpaca (paper by default)"),
    ] = "sim",
    sessions: Annotated[
        int | None, typer.Option("--sessions", min=1, max=400, help="Sessions to run")
    ] = None,
    speed: Annotated[
        float,
        typer.Option("--speed", min=0, help="Simulated minutes per real second (0: as fast as it can)"),
    ] = 60.0,
    flow: Annotated[str, typer.Option("--flow", help="both (default), main or multileg")] = "both",
    symbols: Annotated[
        str | None, typer.Option("--symbols", help="Comma-separated underlyings (default: all of the market)")
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="Rehearse a stress scenario: crash, gap, halt or calm")
    ] = None,
    live: Annotated[
        bool,
        typer.Option("--live/--paper", help="Real money (needs this flag and the keys); paper by default"),
    ] = False,
    account: Annotated[
        str | None, typer.Option("--account", help="A broker run: the configured account to trade")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="A broker run: stop at HH:MM, the exchange's local time")
    ] = None,
    log: Annotated[
        Path | None, typer.Option("--log", help="A broker run's log file (default logs/RUN_ID.log)")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Trade all day under the operator's controls: `status`, `kill`, `resume`, `close` reach it."""
    with one_line_errors():
        flows = _FLOWS.get(flow)
        if flows is None:
            fail(f"--flow {flow!r}: choose both, main or multileg")
        if broker in _BROKERS:
            if scenario is not None:
                fail("--scenario: stress scenarios run on the simulated broker only (--broker sim)")
            cfg = _config(config, db)
            prepare_sqlite_folder(cfg.run.db)
            run_live(
                cfg, broker, live=live, account=account, flows=flows, sessions=sessions, until=until,
                symbols=_symbols(symbols), log=log,
            )  # fmt: skip
            return
        if broker != "sim":
            fail(f"--broker {broker!r}: choose sim, {' or '.join(_BROKERS)}")
        if live:
            fail("--live: the simulated broker trades no real money; choose --broker alpaca")
        if until is not None or account is not None:
            fail("--until and --account are for a broker's account (--broker alpaca)")
        market: dict[str, Any] = {"sessions": sessions} if sessions else {}
        if scenario is not None:
            if scenario not in SCENARIOS:
                fail(f"--scenario {scenario!r}: choose {', '.join(SCENARIOS)}")
            market["scenario"] = {"kind": scenario}
        cfg = _config(config, db, {"market": market} if market else None)
        wanted = _symbols(symbols)
        if wanted is not None:
            cfg = cfg.model_copy(update={"market": cfg.market.only(wanted)})
        prepare_sqlite_folder(cfg.run.db)
        sim = build_sim_run(cfg, speed=speed, flows=flows)
        bt = sim.bt
        console.print(
            f"run [bold]{sim.run_id}[/] on the simulated broker, {len(bt.ticker.sessions)} session(s) at "
            f"{speed:g} min/s; stop it with `optionpilot kill`, watch it with `optionpilot status`"
        )
        session: list[str] = []

        def each(tick: Tick) -> None:
            if tick.is_last:
                states = ", ".join(f"{a.name} {a.state.value}" for a in bt.accounts)
                session.append(str(tick.session.day))
                console.print(f"session {tick.session.day} closed: {states}")

        started = time.perf_counter()
        try:
            result = bt.runner.run(on_tick=each)
            sim.record_health()
        except KeyboardInterrupt:
            if isinstance(bt.recorder, SqlRecorder):
                bt.recorder.fail_run(RuntimeError("stopped by the operator (interrupt)"))
            fail(f"run {sim.run_id} stopped by an interrupt after {len(session)} session(s)")
        except Exception as exc:
            if isinstance(bt.recorder, SqlRecorder):
                bt.recorder.fail_run(exc)
            raise
        finally:
            bt.notifier.close()
    console.print(
        f"run [bold]{sim.run_id}[/] done: {result.ticks:,} ticks in {time.perf_counter() - started:.1f}s, "
        f"stored in {mask_url(cfg.run.db)}"
    )
    print_reconciliation(console, result.reconciliation)
    if not result.reconciled:
        raise typer.Exit(1)


def _symbols(text: str | None) -> list[str] | None:
    if text is None:
        return None
    wanted = [s.strip().upper() for s in text.split(",") if s.strip()]
    if not wanted:
        fail("--symbols names no symbol")
    return wanted


def status(
    account: Annotated[str | None, typer.Option("--account", help="One account (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A list of objects, for scripts")] = False,
    store: Annotated[
        Path, typer.Option("--store", help="The market-data store whose `data check` status reports")
    ] = DEFAULT_STORE,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Per account: trading state, equity, P&L today, what is open, the breaker's distance, health."""
    with _operator(config, db) as op:
        rows = op.status(account, store)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], default=str, indent=2))
        return
    table = Table(title="Accounts")
    for col in ("Account", "State", "Equity", "P&L today", "Positions", "Orders", "Run", "Errors/h"):
        table.add_column(col, justify="left" if col in ("Account", "State", "Run") else "right")
    for r in rows:
        style = {"active": "green", "reducing": "yellow", "halted": "bold red"}.get(r.state, "")
        table.add_row(
            r.account, f"[{style}]{r.state}[/]", r.equity or "-", r.pnl_today or "-", str(r.open_positions),
            str(r.open_orders), f"{r.run_id or '-'} ({r.run_status or '-'})",
            f"{r.errors_last_hour}/{r.refusals_last_hour}",
        )  # fmt: skip
    console.print(table)
    if rows and rows[0].data_check:
        console.print(f"stored market data ({rows[0].data_check['store']}): {rows[0].data_check['summary']}")
    for r in rows:
        if r.reason:
            console.print(f"{r.account}: {r.state} since {r.changed_at} by {r.changed_by}: {r.reason}")
        if r.breaker:
            console.print(f"{r.account}: breaker {r.breaker}")
        if r.health:
            mine = r.health.get("account")
            acct = mine if isinstance(mine, dict) else {}
            console.print(
                f"{r.account}: run clock {r.health.get('clock')}, last market data "
                f"{r.health.get('last_market_data')}, last heard from the broker "
                f"{acct.get('last_broker_contact')}, entries {acct.get('entries', '-')}, "
                f"heartbeat {r.heartbeat_at}"
            )


def kill(
    account: Annotated[str | None, typer.Option("--account", help="One account (default: every one)")] = None,
    reason: ReasonOpt = "kill switch",
    wait: WaitOpt = 10.0,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Halt now: cancel every open order and close every position; only `resume` brings it back."""
    with _operator(config, db) as op:
        outcomes = op.kill(account, reason, wait)
    _report("kill", outcomes, f"{account or 'every account'} halted")


def resume(
    account: Annotated[str, typer.Option("--account", help="The account to bring back to active")],
    reason: ReasonOpt = "resumed by the operator",
    wait: WaitOpt = 10.0,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Back to ACTIVE (the only way out of HALTED)."""
    with _operator(config, db) as op:
        outcomes = op.resume(account, reason, wait)
    _report("resume", outcomes, f"{account} active")


def close(
    position_id: Annotated[str, typer.Argument(help="The position's id (see `status`, `runs show`)")],
    qty: Annotated[int | None, typer.Option("--qty", min=1, help="Units to close (default: all)")] = None,
    reason: ReasonOpt = "closed by the operator",
    wait: WaitOpt = 10.0,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Close one position (every leg of a multi-leg one), or `--qty` units of it, by hand."""
    with _operator(config, db) as op:
        outcomes = op.close(position_id, qty, reason, wait)
    _report("close", outcomes, "")


def _report(verb: str, outcomes: list[Outcome], stored: str) -> None:
    if stored:
        console.print(f"{verb}: {stored} (stored; every run refuses entries now)")
    if not outcomes and verb != "close":
        console.print(f"{verb}: no running run holds it")
    failed = False
    for o in outcomes:
        failed |= o.status != "done"
        style = "green" if o.status == "done" else "bold red"
        console.print(f"[{style}]{verb} {o.account} in {o.run_id}: {o.status}: {o.result}[/]")
    if failed:
        raise typer.Exit(1)
