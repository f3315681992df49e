"""What happens to one held option at expiry, given the underlying's closing price.

An option in the money by at least `itm_threshold` (OCC's exercise-by-exception rule: $0.01) is
exercised when long and assigned when short. Cash-settled contracts (indices) pay the intrinsic
value; physically settled ones deliver multiplier x contracts shares at the strike. The rest expire
worthless. Early exercise and assignment are not modelled.

`at_intrinsic` turns a delivery into its cash value: the option is closed at its intrinsic value and no
shares move. It is reported as EXPIRED with cash (the kind the ledger settles at a price), which is what
a broker's liquidation at the close of expiry amounts to.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from optionpilot.core.money import ZERO
from optionpilot.domain.accounts import LedgerKind
from optionpilot.domain.fills import SettlementKind
from optionpilot.domain.instruments import OptionContract, Settlement


@dataclass(frozen=True, slots=True)
class SettlementOutcome:
    kind: SettlementKind
    cash: Decimal  # into the account (+) or out of it (-)
    shares: int  # delivered into (+) or out of (-) the account

    @property
    def ledger_kind(self) -> LedgerKind | None:
        if self.cash == ZERO and self.shares == 0:
            return None
        if self.shares == 0:
            return LedgerKind.CASH_SETTLEMENT
        return LedgerKind.EXERCISE if self.kind is SettlementKind.EXERCISED else LedgerKind.ASSIGNMENT


def settle(
    contract: OptionContract, quantity: int, underlying_close: Decimal, itm_threshold: Decimal
) -> SettlementOutcome:
    """Settle a signed position of `quantity` contracts (+ long, - short) at expiry."""
    if quantity == 0:
        raise ValueError(f"settlement of {contract.key} asked for a zero position")
    if underlying_close <= 0:
        raise ValueError(f"settlement of {contract.key}: underlying close {underlying_close} is not positive")
    intrinsic = contract.intrinsic(underlying_close)
    if intrinsic < itm_threshold:
        return SettlementOutcome(SettlementKind.EXPIRED, ZERO, 0)
    kind = SettlementKind.EXERCISED if quantity > 0 else SettlementKind.ASSIGNED
    if contract.settlement is Settlement.CASH:
        return SettlementOutcome(kind, intrinsic * contract.multiplier * quantity, 0)
    # A call delivers shares to its holder; a put takes them. The cash side is the strike.
    shares = contract.multiplier * quantity * (1 if contract.is_call else -1)
    return SettlementOutcome(kind, -contract.strike * shares, shares)


def at_intrinsic(contract: OptionContract, quantity: int, underlying_close: Decimal) -> SettlementOutcome:
    """The option closed at its intrinsic value: a long receives it, a short pays it; no shares move."""
    return SettlementOutcome(
        SettlementKind.EXPIRED, contract.intrinsic(underlying_close) * contract.multiplier * quantity, 0
    )
