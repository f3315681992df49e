"""Kill and close for the standing accounts of the multi-leg verbs, which no process runs between verbs.

The operator's verb opens the standing account itself (as `monitor` does, reconciled first) and closes at
the simulated clock's pace: the `Flattener` steps a minute at a time, re-pricing its limits, until flat or
the session's close; what is left working then is cancelled, and the account reconciled and stored.
"""

from __future__ import annotations

from datetime import timedelta

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.multileg import open_market, open_standing
from optionpilot.core.calendars import Market
from optionpilot.core.ids import PositionId
from optionpilot.engine.controls.flatten import Flattener
from optionpilot.engine.orders.reconciliation import reconcile


def flatten_standing(
    config: OptionPilotConfig,
    db: str,
    market: Market,
    account: str,
    reason: str,
    *,
    rule: str,
    position_id: str | None = None,
    quantity: int | None = None,
) -> tuple[bool, str]:
    """Close every position of the standing account (or one, or `quantity` units of it); what was done and
    whether all of it was."""
    view = open_market(config, market=market)
    st = open_standing(view, db, account)
    try:
        orders = st.account.orders
        flattener = Flattener(st.account, view.market)
        if position_id is None:
            flattener.close_all(reason, rule)
        else:
            ok = flattener.close(PositionId(position_id), quantity, reason, rule)
            if ok.value is None:
                return False, f"{position_id}: {ok.reason}"
        clock = view.clock
        cancelled = 0
        st.journal.begin(clock.now())
        for order in orders.open_orders():
            if order.parent_id is None:
                orders.cancel(order.client_order_id, f"{rule}: {reason}")
                cancelled += 1
        while True:
            orders.process_events()
            flattener.step(clock.now())
            st.journal.commit()
            nxt = clock.now() + timedelta(minutes=1)
            if not flattener.busy or nxt >= view.session.close:
                break
            clock.advance_to(nxt)
            st.journal.begin(clock.now())
        st.journal.begin(clock.now())
        orders.process_events()
        for order in orders.open_orders():
            orders.cancel(order.client_order_id, f"{rule}: the session closes before it filled")
        orders.process_events()
        st.reports.append(reconcile(st.account.book, st.account.broker, orders=orders))
        st.journal.commit()
        st.recorder.flush()
        jobs = flattener.jobs.values()
        done = sum(1 for j in jobs if j.done)
        return done == len(jobs), f"{done} of {len(jobs)} closed by hand, {cancelled} order(s) cancelled"
    finally:
        st.close()
