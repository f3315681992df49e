"""The defensive roll plan: the threatened short (and its wing) to the next expiry, away from spot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np

from optionpilot.decisions.exits.rolls import HeldOption, nearest_quoted, plan_defensive_roll
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, OptionRight, Underlying

SPY = Underlying("SPY")
NEAR, NEXT = date(2026, 11, 20), date(2026, 11, 27)


def call(expiry: date, k: float) -> OptionContract:
    return OptionContract.for_underlying(SPY, expiry, Decimal(str(k)), OptionRight.CALL)


def chain(rows: list[tuple[date, float, float, float]]) -> ChainSnapshot:
    n = len(rows)
    return ChainSnapshot(
        underlying=SPY, ts=datetime(2026, 11, 2, 15, tzinfo=UTC), spot=100.0,
        expiry=np.asarray([r[0] for r in rows], dtype="datetime64[D]"),
        strike=np.asarray([r[1] for r in rows]), is_call=np.ones(n, bool),
        bid=np.asarray([r[2] for r in rows]), ask=np.asarray([r[3] for r in rows]),
        bid_size=np.full(n, 10), ask_size=np.full(n, 10), volume=np.zeros(n, np.int64),
        open_interest=np.zeros(n, np.int64),
    )  # fmt: skip


ROWS = [
    (NEAR, 100.0, 2.0, 2.1), (NEAR, 105.0, 0.5, 0.6),
    (NEXT, 102.0, 1.9, 2.0), (NEXT, 103.0, 1.5, 1.6), (NEXT, 104.0, 1.2, 1.3), (NEXT, 108.0, 0.4, 0.5),
    (NEXT, 109.0, 0.0, 0.3),  # no bid: not a choice
]  # fmt: skip


def test_a_bear_call_spread_rolls_its_short_three_percent_out_and_keeps_its_width() -> None:
    held = [HeldOption(call(NEAR, 100), -2), HeldOption(call(NEAR, 105), 2)]
    d = plan_defensive_roll(held, chain(ROWS), spot=99.5)
    assert d.ok and d.value is not None and d.rule == "multileg_roll.defensive"
    # 3% above 99.50 is 102.485: the 103 call of the next expiry; the wing 5 wide would be 108.
    assert [(h.contract, h.quantity) for h in d.value.open] == [(call(NEXT, 103), -2), (call(NEXT, 108), 2)]
    assert [h.contract for h in d.value.close] == [call(NEAR, 100), call(NEAR, 105)]
    assert round(d.value.credit, 2) == 1.0 and round(d.value.cost, 2) == 1.6  # 1.50 - 0.50; 2.10 - 0.50


def test_no_later_expiry_or_no_short_means_no_roll() -> None:
    near_only = chain([r for r in ROWS if r[0] == NEAR])
    d = plan_defensive_roll([HeldOption(call(NEAR, 100), -1)], near_only, spot=99.5)
    assert not d.ok and d.rule == "multileg_roll.expiry"
    d = plan_defensive_roll([HeldOption(call(NEAR, 100), 1)], chain(ROWS), spot=99.5)
    assert not d.ok and d.rule == "multileg_roll.no_short"


def test_nearest_quoted_skips_rows_without_a_bid() -> None:
    c = chain(ROWS)
    assert nearest_quoted(c, is_call=True, expiry=NEXT, bound=108.0, anchor=109.0) is None
    i = nearest_quoted(c, is_call=True, expiry=NEXT, bound=108.0, anchor=109.0, inclusive=True)
    assert i is not None and c.strike[i] == 108.0
