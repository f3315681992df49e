"""Client order ids: unique without coordination, time-ordered, fit for Alpaca and Dhan."""

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from optionpilot.core.ids import MAX_ID_CHARS, IdMaker, run_prefix

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
DHAN = re.compile(r"^[A-Za-z0-9_-]{1,30}$")

_MINT = """
import sys
from datetime import UTC, datetime
from optionpilot.core.ids import IdMaker
ids = IdMaker("standing-nse-sim")
at = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
print("\\n".join(ids.client_order_id(at) for _ in range(int(sys.argv[1]))))
"""


def test_ids_fit_both_brokers_and_carry_the_run_prefix() -> None:
    ids = IdMaker("bt-20260105-seed3")
    made = [ids.client_order_id(T0), ids.execution_id(T0)]
    for x in made:
        assert DHAN.match(x) and len(x) <= MAX_ID_CHARS <= 128, x
    assert made[0].startswith(run_prefix("bt-20260105-seed3") + "-")
    assert run_prefix("a") == run_prefix("a") != run_prefix("b")


def test_many_ids_at_one_clock_time_are_unique_and_later_times_sort_after() -> None:
    ids = IdMaker("t")
    same_time = [ids.client_order_id(T0) for _ in range(20_000)]
    assert len(set(same_time)) == len(same_time)
    later = ids.client_order_id(T0 + timedelta(milliseconds=1))
    assert later > max(same_time)
    # Within one millisecond the sequence orders them (until it wraps at 36^2).
    assert same_time[:1296] == sorted(same_time[:1296])


def test_processes_with_the_same_run_prefix_and_clock_never_collide() -> None:
    procs = [
        subprocess.run([sys.executable, "-c", _MINT, "2000"], capture_output=True, text=True, check=True)
        for _ in range(4)
    ]
    batches = [p.stdout.split() for p in procs]
    assert all(len(b) == 2000 for b in batches)
    every = [x for b in batches for x in b]
    assert len(set(every)) == len(every) == 8000
    # They share the prefix, the time and the sequence: only the random part tells them apart.
    assert len({x[:-8] for b in batches for x in b[:1]}) == 1
