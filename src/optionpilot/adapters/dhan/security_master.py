"""Our option contracts to Dhan's security ids and back, with each contract's lot, tick and freeze limit.

Built from the instruments table (`data import --format dhan-scrip-master`). The key is the contract's
underlying, expiry day, strike and right: Dhan's trading symbol names the month only, so two weekly
expiries of one month would share it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from optionpilot.core.calendars import Market
from optionpilot.core.errors import BrokerError
from optionpilot.domain.instruments import (
    ExerciseStyle,
    Instrument,
    OptionContract,
    OptionRight,
    Settlement,
)

BROKER = "dhan"
OPTION_SEGMENT = "NSE_FNO"
_INDEX_OPTIONS = "OPTIDX"

ContractKey = tuple[str, date, Decimal, OptionRight]


def contract_key(c: OptionContract) -> ContractKey:
    return (c.underlying, c.expiry, c.strike.normalize(), c.right)


@dataclass(frozen=True, slots=True)
class Listing:
    security_id: int
    contract: OptionContract
    lot_size: int
    tick: Decimal
    freeze_quantity: int | None = None  # units; None: not known from the scrip master


class SecurityMaster:
    def __init__(self, listings: Iterable[Listing], freeze_by_underlying: Mapping[str, int] | None = None):
        self._by_id: dict[int, Listing] = {}
        self._by_key: dict[ContractKey, Listing] = {}
        self._freeze = dict(freeze_by_underlying or {})
        for listing in listings:
            self._by_id[listing.security_id] = listing
            self._by_key[contract_key(listing.contract)] = listing

    def __len__(self) -> int:
        return len(self._by_id)

    def listing(self, instrument: Instrument) -> Listing:
        if not isinstance(instrument, OptionContract):
            raise BrokerError(f"{instrument.key}: only NSE options are traded on Dhan here",
                              broker=BROKER, code="instrument")  # fmt: skip
        found = self._by_key.get(contract_key(instrument))
        if found is None:
            raise BrokerError(
                f"{instrument.key} {instrument.expiry}: not in the security master "
                "(run `optionpilot data import --format dhan-scrip-master` with today's file)",
                broker=BROKER,
                code="instrument",
            )
        return found

    def by_id(self, security_id: int | str) -> Listing | None:
        try:
            return self._by_id.get(int(security_id))
        except ValueError:
            return None

    def freeze_quantity(self, listing: Listing) -> int | None:
        """The scrip master's freeze limit, else the configured one for the underlying."""
        if listing.freeze_quantity is not None:
            return listing.freeze_quantity
        return self._freeze.get(listing.contract.underlying)

    @staticmethod
    def from_rows(
        rows: Iterable[Mapping[str, object]], freeze: Mapping[str, int] | None = None
    ) -> SecurityMaster:
        """From instruments-table rows: NSE options only. All are European; index options settle in cash,
        stock options by delivery."""
        listings = []
        for r in rows:
            if r.get("exchange") != "NSE" or r.get("option_type") not in ("CE", "PE"):
                continue
            lot = int(str(r["lot_size"]))
            contract = OptionContract(
                underlying=str(r["underlying"]),
                expiry=r["expiry"],  # type: ignore[arg-type]
                strike=Decimal(str(r["strike"])),
                right=OptionRight.CALL if r["option_type"] == "CE" else OptionRight.PUT,
                market=Market.IN,
                multiplier=lot,
                style=ExerciseStyle.EUROPEAN,
                settlement=Settlement.CASH if r.get("instrument") == _INDEX_OPTIONS else Settlement.PHYSICAL,
            )
            fq = r.get("freeze_quantity")
            listings.append(
                Listing(
                    security_id=int(str(r["security_id"])),
                    contract=contract,
                    lot_size=lot,
                    tick=Decimal(str(r["tick_size"])),
                    freeze_quantity=None if fq is None else int(str(fq)),
                )
            )
        return SecurityMaster(listings, freeze)
