"""`optionpilot stub-broker alpaca|dhan`: a local Alpaca or Dhan to rehearse on (trading, data, streams)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from optionpilot.adapters.alpaca_stub.config import StubConfig, parse_fault
from optionpilot.adapters.alpaca_stub.server import bind, make_state, serve_forever
from optionpilot.adapters.dhan_stub import server as dhan_server
from optionpilot.adapters.dhan_stub.config import DhanStubConfig
from optionpilot.adapters.dhan_stub.config import parse_fault as parse_dhan_fault
from optionpilot.cli.errors import fail, one_line_errors

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Local stub brokers for rehearsals and tests."
)
HostOpt = Annotated[str, typer.Option("--host", help="Loopback address only")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed of the simulated market")]
SpeedOpt = Annotated[float, typer.Option("--speed", min=0.001, help="Simulated seconds per second")]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="Simulated start (ISO); default 5 min before the first open")
]
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
    host: HostOpt = "127.0.0.1",
    seed: SeedOpt = 7,
    speed: SpeedOpt = 60.0,
    start: StartOpt = None,
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


@app.command("dhan")
def dhan(
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on")] = 8766,
    host: HostOpt = "127.0.0.1",
    seed: SeedOpt = 7,
    speed: SpeedOpt = 60.0,
    start: StartOpt = None,
    fault: Annotated[
        list[str] | None,
        typer.Option("--fault", help="name[:rate], repeatable: the alpaca faults plus dh-904"),
    ] = None,
) -> None:
    """Serve Dhan's v2 API, the order-update socket and the binary feed on a simulated NSE market."""
    with one_line_errors():
        client_id = os.environ.get("DHAN_CLIENT_ID")
        token = os.environ.get("DHAN_ACCESS_TOKEN")
        generated = not (client_id and token)
        if generated:
            client_id, token = str(1_100_000_000 + secrets.randbelow(99_999_999)), secrets.token_urlsafe(30)
        try:
            config = DhanStubConfig(
                host=host,
                port=port,
                client_id=client_id or "",
                access_token=token or "",
                seed=seed,
                speed=speed,
                start=_start(start),
                faults=tuple(parse_dhan_fault(f) for f in fault or ()),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            fail(f"stub-broker dhan: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        sock = dhan_server.bind(host, port)
        bound = int(sock.getsockname()[1])
        state = dhan_server.make_state(config)
        now = state.broker.now()
        out.print(f"Dhan stub on http://{host}:{bound}/v2")
        out.print(f"order updates ws://{host}:{bound}/order-update, feed ws://{host}:{bound}/feed")
        out.print(f"NSE simulated time {now.isoformat()} at {speed:g}x, seed {seed}")
        if config.faults:
            out.print("faults: " + ", ".join(f"{f.name.value}:{f.rate:g}" for f in config.faults))
        if generated:
            # Shown once on the terminal so the user can export them; never written to a log.
            out.print("no DHAN_CLIENT_ID/DHAN_ACCESS_TOKEN in the environment; generated for this run:")
            out.print(f"  export DHAN_CLIENT_ID={client_id}")
            out.print(f"  export DHAN_ACCESS_TOKEN={token}")
        else:
            out.print(f"client id {client_id}; the token from DHAN_ACCESS_TOKEN")
        dhan_server.serve_forever(state, sock)
