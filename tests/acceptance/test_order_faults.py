"""The fault test: a backtest whose broker delivers every fill 1-3 times, out of order, after cancels,
and times out on sends it did or did not receive. Nothing may be applied twice, nothing sent twice,
and the ledger must reconcile to the cent: book = broker = sum of the ledger's entries."""

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from optionpilot.adapters.sim.faults import FaultyBroker
from optionpilot.core.money import ZERO
from optionpilot.domain.incidents import IncidentKind
from optionpilot.persistence import tables as t
from optionpilot.testing.backtests import run_backtest, sqlite_url

pytestmark = pytest.mark.slow

FAULTS = {
    "enabled": True,
    "seed": 11,
    "max_deliveries": 3,
    "timeout_received": 0.1,
    "timeout_lost": 0.1,
    "late_cancels": 0.5,
}


def test_faulty_deliveries_apply_every_fill_exactly_once_and_reconcile_to_the_cent(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    # Entry limits cancelled after one minute: many cancel requests, some crossing a fill.
    bt, result = run_backtest(
        url, broker={"faults": FAULTS}, engine={"entry_order_ttl_minutes": 1}, market={"sessions": 10}
    )
    assert result.reconciled, [r.summary() for r in result.reconciliation]
    figures = Counter[str]()
    engine = sa.create_engine(url)
    for account in bt.accounts:
        om, book = account.orders, account.book
        faulty = om.broker
        assert isinstance(faulty, FaultyBroker)
        broker = faulty.inner
        executions = broker.executions()
        # Exactly once: every execution the broker made is applied, none twice, none beyond its order.
        assert om.fills_applied == len(executions) == len({f.execution_id for f in executions})
        assert all(om.has_execution(f.execution_id) for f in executions)
        assert om.halted is None
        kinds = Counter(i.kind for i in om.incidents)
        assert kinds[IncidentKind.OVERFILL] == 0
        # The ledger to the cent: book = broker = the sum of the book's entries.
        assert book.cash == broker.account().cash == sum((e.amount for e in book.ledger.entries), start=ZERO)
        assert book.holdings() == {p.symbol: p.quantity for p in broker.positions() if p.quantity}
        # Nothing sent twice: the broker refuses a second order under one client id, and never had to.
        assert not [o for o in om.orders.values() if "already sent" in o.status_reason]
        with engine.connect() as conn:
            stored = conn.execute(
                sa.select(sa.func.count())
                .select_from(t.fills)
                .where(t.fills.c.account_id == account.account_id)
            ).scalar_one()
            ledger_sum = conn.execute(
                sa.select(t.ledger_entries.c.amount).where(
                    (t.ledger_entries.c.run_id == bt.run_id)
                    & (t.ledger_entries.c.account_id == account.account_id)
                )
            ).scalars()
            assert sum(ledger_sum, start=ZERO) == book.cash
        assert stored == len(executions)
        figures["executions"] += len(executions)
        figures["deliveries"] += faulty.deliveries
        figures["duplicates_rejected"] += om.duplicate_fills
        figures["fills_after_terminal"] += kinds[IncidentKind.FILL_AFTER_TERMINAL]
        figures["fills_after_cancel_request"] += om.fills_after_cancel_request
        figures["timeouts"] += faulty.timeouts
        figures["late_cancels"] += faulty.late_cancels
        assert not [o for o in om.orders.values() if o.status.value == "pending_cancel"], "stuck"
        figures["unknown_outcomes"] += kinds[IncidentKind.UNKNOWN_OUTCOME]
        figures["adopted_at_reconciliation"] += kinds[IncidentKind.ADOPTED]
    print(dict(figures))
    # The faults happened: otherwise this test proves nothing.
    assert figures["deliveries"] > figures["executions"] > 10
    assert figures["duplicates_rejected"] == figures["deliveries"] - figures["executions"]
    # A resend after a lost order may time out again: one incident per order, one timeout per try.
    assert 0 < figures["unknown_outcomes"] <= figures["timeouts"]
    # Cancel requests that crossed a fill: the fill is applied and the order leaves PENDING_CANCEL.
    assert figures["late_cancels"] > 0
    assert figures["fills_after_cancel_request"] > 0
