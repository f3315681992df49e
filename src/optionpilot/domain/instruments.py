"""Underlyings and option contracts, with the facts a broker and a ledger need about each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from optionpilot.core.calendars import Market


class AssetClass(StrEnum):
    EQUITY = "equity"
    ETF = "etf"
    INDEX = "index"


class OptionRight(StrEnum):
    CALL = "C"
    PUT = "P"


class ExerciseStyle(StrEnum):
    AMERICAN = "american"
    EUROPEAN = "european"


class Settlement(StrEnum):
    PHYSICAL = "physical"  # shares change hands at exercise
    CASH = "cash"  # the intrinsic value is paid in cash


@dataclass(frozen=True, slots=True)
class Underlying:
    symbol: str
    market: Market = Market.US
    asset_class: AssetClass = AssetClass.EQUITY
    currency: str = "USD"
    tick: Decimal = Decimal("0.01")
    # Option contract size: 100 shares in the US, the exchange lot size in India.
    option_multiplier: int = 100
    option_style: ExerciseStyle = ExerciseStyle.AMERICAN
    option_settlement: Settlement = Settlement.PHYSICAL
    option_tick: Decimal = Decimal("0.01")

    @property
    def is_tradeable(self) -> bool:
        """Indices cannot be bought; only their options trade."""
        return self.asset_class is not AssetClass.INDEX

    @property
    def key(self) -> str:
        return self.symbol


@dataclass(frozen=True, slots=True)
class OptionContract:
    underlying: str
    expiry: date
    strike: Decimal
    right: OptionRight
    market: Market = Market.US
    multiplier: int = 100
    style: ExerciseStyle = ExerciseStyle.AMERICAN
    settlement: Settlement = Settlement.PHYSICAL
    # OCC root differs from the underlying for adjusted or second-class options (GOOGL vs GOOG, SPXW).
    root: str | None = None

    @property
    def is_call(self) -> bool:
        return self.right is OptionRight.CALL

    @property
    def key(self) -> str:
        """The symbol a broker knows it by: OCC for the US, the NSE trading symbol for India."""
        from optionpilot.domain.symbols import contract_symbol

        return contract_symbol(self)

    def intrinsic(self, spot: Decimal) -> Decimal:
        if self.is_call:
            return max(spot - self.strike, Decimal(0))
        return max(self.strike - spot, Decimal(0))

    def days_to_expiry(self, today: date) -> int:
        return (self.expiry - today).days

    @staticmethod
    def for_underlying(u: Underlying, expiry: date, strike: Decimal, right: OptionRight) -> OptionContract:
        return OptionContract(
            underlying=u.symbol,
            expiry=expiry,
            strike=strike,
            right=right,
            market=u.market,
            multiplier=u.option_multiplier,
            style=u.option_style,
            settlement=u.option_settlement,
        )


@dataclass(frozen=True, slots=True)
class Stock:
    """A tradeable share (or ETF unit); the multiplier is 1."""

    symbol: str
    market: Market = Market.US

    @property
    def key(self) -> str:
        return self.symbol

    @property
    def multiplier(self) -> int:
        return 1


Instrument = OptionContract | Stock
