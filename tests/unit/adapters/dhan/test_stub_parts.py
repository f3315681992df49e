"""The Dhan stub's parts on their own: the rate windows, order slicing, fault specs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from optionpilot.adapters.dhan_stub.config import DhanFault, RateLimits, parse_fault
from optionpilot.adapters.dhan_stub.instruments import Listed
from optionpilot.adapters.dhan_stub.intake import slices
from optionpilot.adapters.dhan_stub.limits import Kind, Limiter
from optionpilot.adapters.dhan_stub.wire import DhanError
from optionpilot.core.calendars import Market
from optionpilot.core.errors import ConfigError
from optionpilot.domain.instruments import OptionContract, OptionRight, Underlying


class FakeSeconds:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_order_windows_per_second_minute_hour_and_day() -> None:
    t = FakeSeconds()
    limiter = Limiter(RateLimits(), seconds=t)
    sent = 0
    refusals: list[str] = []
    # 20 tries every second for two hours: the second, minute and hour windows all bite in turn.
    for second in range(7200):
        t.now = float(second)
        for _ in range(20):
            why = limiter.allow(Kind.ORDERS)
            if why is None:
                sent += 1
            elif not refusals or refusals[-1] != why:
                refusals.append(why)
    assert sent == 2000  # 1,000 an hour
    assert {"10 orders per second", "250 orders per minute", "1000 orders per hour"} <= set(refusals)


def test_a_refused_request_does_not_use_the_allowance() -> None:
    t = FakeSeconds()
    limiter = Limiter(RateLimits(data_per_second=2), seconds=t)
    refused = "2 data requests per second"
    assert [limiter.allow(Kind.DATA) for _ in range(4)] == [None, None, refused, refused]
    t.now = 1.0
    assert limiter.allow(Kind.DATA) is None
    assert limiter.refused == 2


def test_the_chain_throttle_is_per_key() -> None:
    t = FakeSeconds()
    limiter = Limiter(RateLimits(), seconds=t)
    assert limiter.allow_chain(("NIFTY", 1)) and not limiter.allow_chain(("NIFTY", 1))
    assert limiter.allow_chain(("NIFTY", 2))
    t.now = 3.0
    assert limiter.allow_chain(("NIFTY", 1))


def _listed(lot: int) -> Listed:
    u = Underlying("NIFTY", market=Market.IN, option_multiplier=lot, option_tick=Decimal("0.05"))
    contract = OptionContract.for_underlying(u, date(2026, 10, 6), Decimal(25000), OptionRight.CALL)
    return Listed(35001, contract, u)


def test_slices_are_whole_lots_at_most_the_freeze_quantity() -> None:
    assert slices(4275, _listed(75), 1800) == [1800, 1800, 675]
    assert slices(900, _listed(75), 1800) == [900]
    assert slices(1000, _listed(35), 900) == [875, 125]
    with pytest.raises(DhanError, match="below one lot"):
        slices(300, _listed(75), 50)


def test_fault_specs() -> None:
    assert parse_fault("dh-904:0.5") == parse_fault("dh-904:0.5")
    assert parse_fault("dh-904").name is DhanFault.DH_904
    for bad in ("nope", "http-504:2", "http-504:x"):
        with pytest.raises(ConfigError):
            parse_fault(bad)
