"""`optionpilot dashboard`: the live web dashboard over the database `backtest` and `run` write."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import load_model
from optionpilot.cli.console import make_console
from optionpilot.cli.database_url import prepare_sqlite_folder
from optionpilot.cli.errors import fail, one_line_errors
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.migrate import upgrade_engine
from optionpilot.web.security import TOKEN_ENV, resolve_access

console = make_console()


def dashboard(
    db: Annotated[str | None, typer.Option("--db", help="Database URL (default: the configured one)")] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless a token is given)")
    ] = ("127.0.0.1"),
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
            uvicorn.Config(app, host=host, port=port, access_log=False, log_level="warning")
        )
    shown = "127.0.0.1" if host in ("127.0.0.1", "0.0.0.0", "localhost") else host
    if access.generated:
        # The one place the token is shown: the terminal of whoever started the dashboard.
        typer.echo(f"dashboard: http://{shown}:{port}/?token={access.token}")
    else:
        console.print(f"dashboard: http://{shown}:{port}/ (open it with ?token=<your token> once)")
    try:
        server.run()
    except OSError as exc:
        fail(f"--port {port}: cannot listen on {host}: {exc.strerror or exc}")
    finally:
        engine.dispose()
