"""Expiry outcomes of one option position."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from optionpilot.adapters.sim.settlement import settle
from optionpilot.core.calendars import Market
from optionpilot.domain.accounts import LedgerKind
from optionpilot.domain.fills import SettlementKind
from optionpilot.domain.instruments import OptionContract, OptionRight, Settlement

CENT = Decimal("0.01")


def spy(strike: int, right: OptionRight) -> OptionContract:
    return OptionContract("SPY", date(2024, 6, 7), Decimal(strike), right)


def nifty(strike: int, right: OptionRight) -> OptionContract:
    return OptionContract(
        "NIFTY",
        date(2025, 7, 17),
        Decimal(strike),
        right,
        market=Market.IN,
        multiplier=75,
        settlement=Settlement.CASH,
    )


@pytest.mark.parametrize(
    ("right", "qty", "kind", "shares", "cash"),
    [
        (OptionRight.CALL, 2, SettlementKind.EXERCISED, 200, -100000),  # buy 200 at 500
        (OptionRight.CALL, -1, SettlementKind.ASSIGNED, -100, 50000),  # deliver 100 at 500
        (OptionRight.PUT, 1, SettlementKind.EXERCISED, -100, 50000),  # sell 100 at 500
        (OptionRight.PUT, -3, SettlementKind.ASSIGNED, 300, -150000),  # take 300 at 500
    ],
)
def test_physical_delivery_at_the_strike(
    right: OptionRight, qty: int, kind: SettlementKind, shares: int, cash: int
) -> None:
    close = Decimal("510.00") if right is OptionRight.CALL else Decimal("490.00")
    out = settle(spy(500, right), qty, close, CENT)
    assert (out.kind, out.shares, out.cash) == (kind, shares, Decimal(cash))
    assert out.ledger_kind is (LedgerKind.EXERCISE if qty > 0 else LedgerKind.ASSIGNMENT)


def test_cash_settlement_pays_intrinsic_value() -> None:
    out = settle(nifty(25000, OptionRight.PUT), -2, Decimal("24880.50"), CENT)
    assert (out.kind, out.shares, out.cash) == (SettlementKind.ASSIGNED, 0, Decimal("-119.50") * 75 * 2)
    assert out.ledger_kind is LedgerKind.CASH_SETTLEMENT


def test_the_one_cent_threshold() -> None:
    assert settle(spy(500, OptionRight.CALL), 1, Decimal("500.01"), CENT).kind is SettlementKind.EXERCISED
    at_money = settle(spy(500, OptionRight.CALL), 1, Decimal("500.00"), CENT)
    assert (at_money.kind, at_money.cash, at_money.shares, at_money.ledger_kind) == (
        SettlementKind.EXPIRED,
        Decimal(0),
        0,
        None,
    )
    assert settle(spy(500, OptionRight.PUT), -1, Decimal("500.01"), CENT).kind is SettlementKind.EXPIRED
    # A stricter threshold lets a barely-in-the-money option lapse.
    assert (
        settle(spy(500, OptionRight.CALL), 1, Decimal("500.04"), Decimal("0.05")).kind
        is SettlementKind.EXPIRED
    )


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="zero position"):
        settle(spy(500, OptionRight.CALL), 0, Decimal(500), CENT)
    with pytest.raises(ValueError, match="not positive"):
        settle(spy(500, OptionRight.CALL), 1, Decimal(0), CENT)
