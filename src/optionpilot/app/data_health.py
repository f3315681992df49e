"""Whether the stored market data passes `data check`, in one line `status` can show.

A set fails when it has no rows, or when more than `[health] data_max_flagged_pct` of its rows are flagged
(crossed, stale, outside the no-arbitrage bounds): a trader should look before trading on it.
"""

from __future__ import annotations

from pathlib import Path

from optionpilot.adapters.files.quality import check_store
from optionpilot.adapters.files.store import DataStore
from optionpilot.decisions.health import HealthConfig

# A missing bid is ordinary far from the money; these say the quotes themselves are wrong or old.
_FLAGGED = ("crossed", "stale", "outside_no_arbitrage_bounds")


def data_check_summary(store: Path, config: HealthConfig) -> dict[str, object]:
    """`passes` (bool or None when there is nothing to check) and a line saying why."""
    if not store.is_dir():
        return {"store": str(store), "passes": None, "summary": "no stored market data"}
    ds = DataStore(store)
    if not ds.imports():
        return {"store": str(store), "passes": None, "summary": "nothing imported yet"}
    reports = check_store(ds)
    failing = []
    rows_total = 0
    for rep in reports:
        # A set whose rows were all stored already by an earlier import counts the rows it read.
        rows = rep.counts.get("rows") or rep.counts.get("rows_read", 0)
        rows_total += rows
        flagged = sum(rep.counts.get(k, 0) for k in _FLAGGED)
        name = Path(rep.source).name
        if rows == 0:
            failing.append(f"{name}: no rows")
        elif flagged / rows > config.data_max_flagged_pct:
            failing.append(f"{name}: {flagged / rows:.1%} of {rows} rows flagged")
    verdict = not failing
    limit = f"{config.data_max_flagged_pct:.0%}"
    text = (
        f"{len(reports)} set(s), {rows_total} rows: passes (at most {limit} of a set's rows flagged)"
        if verdict
        else f"fails: {'; '.join(failing)} (limit {limit})"
    )
    return {"store": str(store), "passes": verdict, "summary": text}
