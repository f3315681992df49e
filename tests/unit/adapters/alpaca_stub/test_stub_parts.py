"""The stub's parts on their own: fault specs, the rate limit, collateral, the book's positions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from optionpilot.adapters.alpaca_stub.config import FaultName, parse_fault
from optionpilot.adapters.alpaca_stub.faults import Faults
from optionpilot.adapters.alpaca_stub.intake import check_price
from optionpilot.adapters.alpaca_stub.rate_limit import RateLimiter
from optionpilot.adapters.alpaca_stub.requirements import collateral
from optionpilot.adapters.alpaca_stub.state import Position
from optionpilot.adapters.alpaca_stub.wire import AlpacaError, num, rfc3339
from optionpilot.core.errors import ConfigError
from optionpilot.domain.instruments import OptionContract, OptionRight

EXPIRY = date(2026, 10, 16)


def _opt(strike: int, right: OptionRight) -> OptionContract:
    return OptionContract("SPY", EXPIRY, Decimal(strike), right)


def test_fault_specs() -> None:
    assert parse_fault("http-504").rate == 1.0
    assert parse_fault("partial-fills:0.25").name is FaultName.PARTIAL_FILLS
    for bad in ("http-503", "http-504:2", "drop-stream:often"):
        with pytest.raises(ConfigError):
            parse_fault(bad)


def test_faults_fire_at_their_rate_and_replay_with_the_seed() -> None:
    spec = parse_fault("duplicate-updates:0.3")
    a, b = Faults([spec], seed=5), Faults([spec], seed=5)
    seq_a = [a.fires(FaultName.DUPLICATE_UPDATES) for _ in range(2000)]
    assert seq_a == [b.fires(FaultName.DUPLICATE_UPDATES) for _ in range(2000)]
    assert 450 < sum(seq_a) < 750
    assert not a.fires(FaultName.HTTP_504)  # not configured: never


def test_rate_limit_slides_over_a_minute() -> None:
    t = [0.0]
    limiter = RateLimiter(3, seconds=lambda: t[0])
    assert [limiter.allow()[0] for _ in range(4)] == [True, True, True, False]
    t[0] = 59.9
    assert not limiter.allow()[0]
    t[0] = 60.0
    assert limiter.allow() == (True, 2)  # the three at t=0 left the window
    assert limiter.refused == 2


@pytest.mark.parametrize(
    ("holdings", "need"),
    [
        ([(_opt(600, OptionRight.CALL), 1)], 0),  # long: nothing beyond the premium
        ([(_opt(600, OptionRight.PUT), -1)], 60_000),  # cash-secured put
        ([(_opt(600, OptionRight.CALL), -1), (_opt(605, OptionRight.CALL), 1)], 500),  # credit spread
        ([(_opt(600, OptionRight.PUT), -2), (_opt(590, OptionRight.PUT), 1)], 120_000 - 59_000),
        ([(_opt(600, OptionRight.CALL), -1)], 60_000),  # uncovered call: the loss at twice the strike
    ],
)
def test_collateral_is_the_worst_loss_at_expiry(
    holdings: list[tuple[OptionContract, int]], need: int
) -> None:
    assert collateral(holdings) == need


def test_price_increments() -> None:
    check_price("limit_price", Decimal("1.25"))
    check_price("limit_price", Decimal("0.1234"))
    check_price("limit_price", Decimal("-2.5"))
    for bad in ("1.255", "0.12345", "-1.001"):
        with pytest.raises(AlpacaError):
            check_price("limit_price", Decimal(bad))


def test_position_keeps_its_average_through_reductions_and_flips() -> None:
    p = Position("SPY", None)
    p.add(10, Decimal(100))
    p.add(10, Decimal(110))
    assert p.cost == 2100
    p.add(-5, Decimal(120))
    assert p.qty == 15 and p.cost == Decimal("1575")  # average 105 kept
    p.add(-20, Decimal(90))
    assert p.qty == -5 and p.cost == -450


def test_wire_formats() -> None:
    assert num(Decimal("1.50")) == "1.5" and num(Decimal("1E+2")) == "100" and num(3) == "3"
    t = datetime(2026, 10, 5, 13, 30, tzinfo=UTC)
    assert rfc3339(t) == "2026-10-05T13:30:00.000000Z"
