"""The decision figures of one backtest run, per account, read from its database (issue 12).

    .venv/bin/python benchmarks/decision_audit.py sqlite:////tmp/dec.sqlite [--run RUN_ID]

Stock positions by entry side and signal direction; exits by rule and trailing-stop exits that sold
below the entry fill; option entries in the last quarter of the run; rejections by rule; profit
factor, win rate and final equity. Without --run the latest run in the database is read.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


def _meta(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    return dict(json.loads(raw)) if raw else {}


def _ts(raw: Any) -> datetime:
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))


def audit(url: str, run_id: str | None) -> dict[str, dict[str, Any]]:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        q = sa.text
        if run_id is None:
            run_id = c.execute(q("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1")).scalar_one()
        p = {"r": run_id}
        first, last = c.execute(q("SELECT MIN(ts), MAX(ts) FROM equity_points WHERE run_id=:r"), p).one()
        start, end = _ts(first), _ts(last)
        last_quarter = start + (end - start) * 3 / 4
        out: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"stock": Counter(), "exits": Counter(), "rejections": Counter()}
        )
        # Entry and exit fills per position: signed quantity-weighted prices.
        fills: dict[str, dict[str, list[tuple[int, Decimal]]]] = defaultdict(lambda: defaultdict(list))
        for pid, purpose, side, qty, price in c.execute(
            q(
                "SELECT o.position_id, o.purpose, f.side, f.quantity, f.price FROM fills f "
                "JOIN orders o ON o.client_order_id=f.client_order_id AND o.run_id=f.run_id "
                "WHERE f.run_id=:r"
            ),
            p,
        ):
            fills[pid][purpose].append((int(qty) if side == "buy" else -int(qty), Decimal(str(price))))

        def avg(pid: str, purpose: str) -> Decimal | None:
            rows = fills.get(pid, {}).get(purpose, [])
            n = sum(abs(qty) for qty, _ in rows)
            return sum((abs(qty) * px for qty, px in rows), Decimal(0)) / n if n else None

        pnls: dict[str, list[Decimal]] = defaultdict(list)
        for pid, acct, stype, status, opened, meta, pnl, fees, exit_reason in c.execute(
            q(
                "SELECT position_id, account_id, strategy_type, status, opened_at, meta, realized_pnl, "
                "fees, exit_reason FROM positions WHERE run_id=:r"
            ),
            p,
        ):
            a = out[acct]
            m = _meta(meta)
            entry = fills.get(pid, {}).get("entry", [])
            if not entry:
                continue  # never filled
            is_stock = stype.startswith(("stock/", "short_stock/"))
            if is_stock:
                side = "long" if entry[0][0] > 0 else "short"
                a["stock"][f"{side} on {m.get('direction', '?')}"] += 1
            elif _ts(opened) >= last_quarter:
                a["option_entries_last_quarter"] = a.get("option_entries_last_quarter", 0) + 1
            if not is_stock:
                a["option_entries"] = a.get("option_entries", 0) + 1
            if str(exit_reason).startswith("exits.trailing_stop"):
                e_in, e_out = avg(pid, "entry"), avg(pid, "exit")
                if e_in is not None and e_out is not None and e_out < e_in:
                    a["trailing_below_entry_fill"] = a.get("trailing_below_entry_fill", 0) + 1
            if status == "closed":
                pnls[acct].append(Decimal(str(pnl)) - Decimal(str(fees)))
        for acct, reason in c.execute(
            q("SELECT account_id, reason FROM position_events WHERE run_id=:r AND kind='exit_signal'"), p
        ):
            out[acct]["exits"][str(reason).split(":", 1)[0]] += 1
        for acct, rule in c.execute(
            q("SELECT account_id, rule FROM rejections WHERE run_id=:r AND account_id IS NOT NULL"), p
        ):
            out[acct]["rejections"][rule] += 1
        for acct, equity in c.execute(
            q(
                "SELECT e.account_id, e.equity FROM equity_points e WHERE e.run_id=:r AND e.ts="
                "(SELECT MAX(ts) FROM equity_points x WHERE x.run_id=e.run_id AND x.account_id=e.account_id)"
            ),
            p,
        ):
            out[acct]["final_equity"] = Decimal(str(equity))
        for acct, values in pnls.items():
            wins = sum((v for v in values if v > 0), Decimal(0))
            losses = -sum((v for v in values if v < 0), Decimal(0))
            out[acct]["closed"] = len(values)
            out[acct]["win_rate"] = sum(1 for v in values if v > 0) / len(values) if values else None
            out[acct]["profit_factor"] = float(wins / losses) if losses else None
    return dict(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLAlchemy URL of the run's database")
    parser.add_argument("--run", default=None, help="run id (default: the latest)")
    args = parser.parse_args()
    for acct, a in sorted(audit(args.db, args.run).items()):
        wr = a.get("win_rate")
        pf = a.get("profit_factor")
        print(f"== {acct}")
        print(f"  stock positions: {dict(sorted(a['stock'].items()))}")
        print(
            f"  option entries: {a.get('option_entries', 0)}, "
            f"in the last quarter: {a.get('option_entries_last_quarter', 0)}"
        )
        print(f"  exits by rule: {dict(a['exits'].most_common())}")
        print(f"  trailing-stop exits filled below the entry fill: {a.get('trailing_below_entry_fill', 0)}")
        print(f"  rejections by rule: {dict(a['rejections'].most_common())}")
        print(
            f"  closed: {a.get('closed', 0)}, win rate: {'-' if wr is None else f'{wr:.1%}'}, "
            f"profit factor: {'-' if pf is None else f'{pf:.2f}'}, final equity: {a.get('final_equity')}"
        )


if __name__ == "__main__":
    main()
