"""`optionpilot dashboard`: the live web dashboard over the database `backtest` and `run` write."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any

import typer

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.cli.database_url import prepare_sqlite_folder
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.migrate import upgrade_engine
from optionpilot.web.security import TOKEN_ENV, resolve_access


def dashboard(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one)")] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless a token is given)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one)")] = 8050,
    token: Annotated[
        str | None,
        typer.Option("--token", help=f"Access token (default: ${TOKEN_ENV}, else a new one is printed)"),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML configuration file")] = None,
) -> None:
    """Serve the dashboard: accounts, positions, orders, decisions, strategies, runs; kill and close."""
    import uvicorn

    from optionpilot.web.app import create_app

    with one_line_errors():
        over: dict[str, Any] = {"run": {"db": db}} if db is not None else {}
        cfg = load_model(OptionPilotConfig, config, overrides=over)
        access = resolve_access(token, host)
        prepare_sqlite_folder(cfg.run.db)
        engine = create_engine(cfg.run.db)
        upgrade_engine(engine)
        app = create_app(engine, cfg, access)
        server = uvicorn.Server(
            uvicorn.Config(app, access_log=False, log_level="warning", timeout_graceful_shutdown=3)
        )
        # Bound here, before the address is printed: with --port 0 the printed port is the real one.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            engine.dispose()
            fail(f"--host {host} --port {port}: cannot listen there: {exc.strerror or exc}")
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    if access.generated:
        # The one place the token is shown: the terminal of whoever started the dashboard.
        typer.echo(f"dashboard: http://{shown}:{bound}/?token={access.token}")
    else:
        typer.echo(f"dashboard: http://{shown}:{bound}/ (open it once with ?token=<your token>)")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        engine.dispose()
