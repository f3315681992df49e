"""What the account has blocked: premium of pending buys and margin of shorts, hedged or not.

A short unit covered by a long unit of the same underlying, expiry and right (a spread's wing) is
charged `hedged_margin_rate` of spot, an uncovered one `short_margin_rate` (SPAN-like, simplified).
Pending sells count as if filled; pending buys block their premium but cover nothing until filled,
which is why a legged entry buys its wings first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from optionpilot.adapters.dhan_stub.config import DhanStubConfig
from optionpilot.adapters.dhan_stub.instruments import Listed
from optionpilot.adapters.dhan_stub.state import Book, Order
from optionpilot.core.money import ZERO

Group = tuple[str, date, bool]


def requirement(
    book: Book,
    spot_of: Callable[[str], Decimal],
    ask_of: Callable[[Listed], Decimal],
    config: DhanStubConfig,
    extra: Iterable[Order] = (),
) -> Decimal:
    orders = [*book.open_orders(), *extra]
    projected: dict[int, int] = {sid: p.net_qty for sid, p in book.positions.items()}
    listed: dict[int, Listed] = {sid: p.listed for sid, p in book.positions.items()}
    premium = ZERO
    for o in orders:
        sid = o.listed.security_id
        listed[sid] = o.listed
        if o.side == "SELL":
            projected[sid] = projected.get(sid, 0) - o.remaining
        else:
            price = o.price if o.order_type == "LIMIT" else ask_of(o.listed)
            premium += price * o.remaining
    longs: dict[Group, int] = defaultdict(int)
    shorts: dict[Group, int] = defaultdict(int)
    for sid, net in projected.items():
        c = listed[sid].contract
        group = (c.underlying, c.expiry, c.is_call)
        if net > 0:
            longs[group] += net
        elif net < 0:
            shorts[group] -= net
    margin = ZERO
    hedged_rate = Decimal(str(config.hedged_margin_rate))
    short_rate = Decimal(str(config.short_margin_rate))
    for group, short in shorts.items():
        hedged = min(short, longs.get(group, 0))
        spot = spot_of(group[0])
        margin += spot * (hedged * hedged_rate + (short - hedged) * short_rate)
    return (premium + margin).quantize(Decimal("0.01"))
