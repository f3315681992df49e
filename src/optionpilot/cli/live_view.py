"""The live run's terminal view: the broker's clock, the account, what it holds, its last orders.

On a terminal it is a rich live panel redrawn after each tick; elsewhere (a log, CI) one line per
session close and per hour, so a captured log stays readable.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from optionpilot.app.live_run import LiveRun
from optionpilot.core.calendars import calendar_for
from optionpilot.engine.ticker import Tick

LAST_ORDERS = 6
POSITIONS_SHOWN = 8


def account_line(run: LiveRun) -> str:
    a = run.account
    marks = run.engine.pipeline.marker.last_mark
    equity = a.book.equity(marks)
    open_positions = [p for p in a.book.open_positions() if not p.is_flat]
    return (
        f"{a.name} {a.state.value}: equity {equity:,.2f} cash {a.book.cash:,.2f} {a.currency}, "
        f"{len(open_positions)} open position(s), {len(a.orders.open_orders())} open order(s)"
    )


def render(run: LiveRun, tick: Tick | None) -> Group:
    zone = calendar_for(run.session.market).zone
    now = run.clock.now().astimezone(zone)
    head = Text.from_markup(
        f"[bold]{run.run_id}[/] on {run.session.broker_name} {run.session.mode} "
        f"(account {run.session.account_label})  clock {now:%Y-%m-%d %H:%M:%S %Z}"
        + (f"  minute {tick.minute_index} of {tick.session.minutes}" if tick is not None else "")
    )
    stats = run.session.request_stats()
    sent, most = int(stats.get("sent", 0)), int(stats.get("most_in_a_minute", 0))
    budget = Text(
        f"requests: {sent} sent, most in a minute {most}/{int(stats.get('per_minute', 0))}, "
        f"throttled {int(stats.get('throttled', 0))}"
    )
    a = run.account
    marks = run.engine.pipeline.marker.last_mark
    positions = Table(title=account_line(run), expand=True)
    for col in ("position", "strategy", "legs", "entry cost", "value", "opened"):
        positions.add_column(col)
    shown = [p for p in a.book.open_positions() if not p.is_flat][:POSITIONS_SHOWN]
    for p in shown:
        positions.add_row(
            p.position_id,
            f"{p.underlying} {p.strategy_type}",
            ", ".join(f"{leg.quantity:+d} {key}" for key, leg in p.legs.items() if leg.quantity),
            f"{p.entry_cost:,.2f}",
            f"{p.market_value(marks):,.2f}",
            f"{p.opened_at.astimezone(zone):%m-%d %H:%M}",
        )
    orders = Table(title="last orders", expand=True)
    for col in ("time", "client id", "purpose", "status", "filled", "reason"):
        orders.add_column(col)
    recent = sorted(a.orders.orders.values(), key=lambda o: o.updated_at or o.created_at)[-LAST_ORDERS:]
    for o in reversed(recent):
        at: datetime = o.updated_at or o.created_at
        orders.add_row(
            f"{at.astimezone(zone):%H:%M:%S}",
            o.client_order_id,
            o.purpose,
            o.status.value,
            f"{o.filled_quantity}/{o.quantity}",
            (o.status_reason or o.reason)[:60],
        )
    return Group(head, budget, positions, orders)


class LiveView:
    def __init__(self, run: LiveRun, console: Console) -> None:
        self.run = run
        self.console = console
        self._live: Live | None = None
        self._last_hour: int | None = None

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self._live = Live(render(self.run, None), console=self.console, refresh_per_second=2)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def on_tick(self, tick: Tick) -> None:
        if self._live is not None:
            self._live.update(render(self.run, tick))
            return
        hour = tick.now.hour
        if tick.is_last or tick.is_first or hour != self._last_hour:
            self._last_hour = hour
            what = "closed" if tick.is_last else "at"
            self.console.print(
                f"{tick.session.day} {what} minute {tick.minute_index}: {account_line(self.run)}"
            )
