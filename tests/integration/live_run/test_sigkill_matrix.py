"""The SIGKILL matrix: `run --broker alpaca` killed at each point of the order lifecycle, over and over,
then restarted; the broker holds no order the engine did not store, every fill at the broker is stored
once, and the last run's reconciliation agrees with the broker.

Each run is the real command line in a child forked from a warm process (`processes.py`), killed by
`OPTIONPILOT_CRASH_AT=point:n` at its n-th arrival at `point`, or by the test when it has not got there
within its time (a kill wherever it was). The stub keeps its state across the runs, as Alpaca would.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path

from alpaca.trading.client import TradingClient
from alpaca.trading.enums import QueryOrderStatus
from alpaca.trading.requests import GetOrdersRequest

from optionpilot.adapters.alpaca.broker import AlpacaBroker
from optionpilot.adapters.alpaca.clock import NEW_YORK
from optionpilot.adapters.alpaca.settings import alpaca_settings
from optionpilot.adapters.alpaca.transport import RequestBudget
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.crashpoints import ENV, POINTS
from optionpilot.core.ids import AccountId

from .conftest import KEY, SECRET, SYMBOLS, StubFactory, alpaca_env
from .processes import Outcome, Runner

# Every point several times, at different arrivals: 32 runs, each ending in a kill. The stub starts 28
# minutes after the open: the multi-leg scan (minute 30) of each new process plans entries for what it does
# not hold yet, so the first runs bring orders and fills to be killed at.
PLAN = [
    ("reconciled", 1), ("order.stored", 1), ("order.sent", 1), ("fill.applied", 1),
    ("order.stored", 1), ("order.sent", 1), ("fill.applied", 2), ("tick.stored", 1),
    ("order.stored", 2), ("order.sent", 2), ("fill.applied", 1), ("reconciled", 1),
    ("tick.stored", 3), ("order.stored", 1), ("fill.applied", 3), ("order.sent", 1),
    ("tick.stored", 5), ("reconciled", 1), ("order.stored", 1), ("order.sent", 1),
    ("fill.applied", 1), ("tick.stored", 8), ("fill.applied", 2), ("order.stored", 1),
    ("order.sent", 1), ("reconciled", 1), ("tick.stored", 2), ("fill.applied", 1),
    ("tick.stored", 13), ("order.stored", 1), ("order.sent", 1), ("tick.stored", 1),
]  # fmt: skip
RUN_TIMEOUT_S = 8.0  # a run that has not reached its point by then is killed where it is
FINAL_TIMEOUT_S = 90.0


def test_kills_at_every_lifecycle_point_leave_no_duplicate_order_and_no_lost_fill(
    alpaca_stub: StubFactory, tmp_path: Path
) -> None:
    stub = alpaca_stub(speed=60.0, seconds_before_open=-28 * 60)
    db_file = tmp_path / "live.sqlite"
    argv = [
        "run", "--broker", "alpaca", "--paper", "--db", f"sqlite:///{db_file}",
        "--symbols", ",".join(SYMBOLS), "--sessions", "1", "--log", str(tmp_path / "run.log"),
    ]  # fmt: skip
    env = alpaca_env(stub)
    runner = Runner(tmp_path / "children.out")
    outcomes: list[tuple[str, Outcome]] = []
    for point, n in PLAN:
        outcome = runner.run(argv, {**env, ENV: f"{point}:{n}"}, RUN_TIMEOUT_S)
        outcomes.append((f"{point}:{n}", outcome))
    kills = [spec for spec, o in outcomes if o.killed]
    by_point = [spec for spec, o in outcomes if o.killed and not o.timed_out]
    log = (tmp_path / "children.out").read_text(errors="replace")
    assert len(kills) >= 30, (outcomes, log[-3000:])
    # Each point was reached and killed there at least once (not only by the test's timer).
    assert {s.split(":")[0] for s in by_point} == set(POINTS), outcomes

    # The last run, not killed: it reconciles everything the kills left behind and trades to the close.
    # To a few minutes from now on the stub's clock (the exchange's time), so the check ends soon.
    until = stub.state.broker.now().astimezone(NEW_YORK) + timedelta(minutes=8)
    final = runner.run([*argv, "--until", f"{until:%H:%M}"], env, FINAL_TIMEOUT_S)
    log = (tmp_path / "children.out").read_text(errors="replace")
    assert final.exitcode == 0, log[-3000:]
    assert "reconciliation alpaca-paper: book and broker agree" in log[-2000:], log[-2000:]

    with sqlite3.connect(db_file) as conn:
        stored_orders = {row[0] for row in conn.execute("SELECT client_order_id FROM orders")}
        stored_fills = Counter(row[0] for row in conn.execute("SELECT execution_id FROM fills"))
    client = TradingClient(KEY, SECRET, paper=True, url_override=stub.url)
    at_broker = [
        str(o.client_order_id)
        for o in client.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, limit=500, nested=True))
    ]
    assert at_broker, "the runs placed no order: nothing was tested"
    # 0 duplicate orders: each order at the broker once, and each one the engine stored before sending.
    assert len(at_broker) == len(set(at_broker))
    assert set(at_broker) <= stored_orders
    # 0 lost fills, none applied twice: the broker's executions are exactly the stored ones, once each.
    settings = alpaca_settings({**env}, paper=True)
    broker = AlpacaBroker(
        AccountId("check"), settings, RequestBudget(190), SimulatedClock(stub.state.broker.now())
    )
    executions = {str(f.execution_id) for f in broker.executions()}
    assert executions, "no fill at the broker: nothing was tested"
    assert set(stored_fills) == executions
    assert max(stored_fills.values()) == 1
