"""`optionpilot stub-broker alpaca`: a local Alpaca to rehearse on (trading, market data, the stream)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from optionpilot.adapters.alpaca_stub.config import StubConfig, parse_fault
from optionpilot.adapters.alpaca_stub.server import bind, make_state, serve_forever
from optionpilot.cli.errors import fail, one_line_errors

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Local stub brokers for rehearsals and tests."
)
out = Console(highlight=False, soft_wrap=True)


def _start(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--start {text!r}: use an ISO time with its offset, e.g. 2026-10-05T13:25:00Z")
    if t.tzinfo is None:
        fail(f"--start {text!r}: give the offset (Z or +00:00); a bare time is ambiguous")
    return t


@app.command("alpaca")
def alpaca(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Loopback address only")] = "127.0.0.1",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the simulated market")] = 7,
    speed: Annotated[float, typer.Option("--speed", min=0.001, help="Simulated seconds per second")] = 60.0,
    start: Annotated[
        str | None, typer.Option("--start", help="Simulated start (ISO); default 5 min before the first open")
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="name[:rate], repeatable: timeout-after-accept, http-504, http-429, duplicate-updates, "
            "drop-stream, reject-leg, partial-fills, data-504, data-429",
        ),
    ] = None,
) -> None:
    """Serve Alpaca's trading API, market data and trade_updates stream on the simulator's market."""
    with one_line_errors():
        key_id = os.environ.get("APCA_API_KEY_ID")
        secret = os.environ.get("APCA_API_SECRET_KEY")
        generated = not (key_id and secret)
        if generated:
            key_id, secret = "PK" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)
        config = StubConfig(
            host=host,
            port=port,
            api_key_id=key_id or "",
            api_secret_key=secret or "",
            seed=seed,
            speed=speed,
            start=_start(start),
            faults=tuple(parse_fault(f) for f in fault or ()),
        )
        sock = bind(host, port)
        bound = int(sock.getsockname()[1])
        state = make_state(config)
        now = state.broker.now()
        out.print(f"Alpaca stub on http://{host}:{bound} (stream ws://{host}:{bound}/stream)")
        out.print(f"simulated time {now.isoformat()} at {speed:g}x, seed {seed}")
        if config.faults:
            out.print("faults: " + ", ".join(f"{f.name.value}:{f.rate:g}" for f in config.faults))
        if generated:
            # Shown once on the terminal so the user can export them; never written to a log.
            out.print("no APCA_API_KEY_ID/APCA_API_SECRET_KEY in the environment; generated for this run:")
            out.print(f"  export APCA_API_KEY_ID={key_id}")
            out.print(f"  export APCA_API_SECRET_KEY={secret}")
        else:
            out.print(f"keys: APCA_API_KEY_ID={key_id} and the secret from APCA_API_SECRET_KEY")
        serve_forever(state, sock)
