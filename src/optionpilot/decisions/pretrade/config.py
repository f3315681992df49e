"""The pre-trade checks' limits (`[strategy.risk.pretrade]`): a risk desk's defaults, scaled to equity where
a number in currency would fit one account size and not another."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

# What makes an order an entry for the entry-only limits: it adds exposure. A roll replaces legs of a held
# position (the position manager's move), so it is managed like an exit.
ENTRY_PURPOSES = frozenset({"entry", "scale_in"})
# What only an ACTIVE account sends: a roll opens new legs, so closing-only (REDUCING, HALTED) refuses it and
# the position stays under its exits.
OPENING_PURPOSES = ENTRY_PURPOSES | {"roll"}


class PreTradeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Sizes (entries only): of the account's equity, and optionally a fixed amount in the account's currency.
    max_order_notional_pct: Decimal = Field(Decimal("0.50"), gt=0, description="one order, of equity")
    max_order_notional: Decimal | None = Field(None, gt=0, description="one order, in currency")
    # One position may not hold more than all of them together may (seed 001's 70% deployed).
    max_position_notional_pct: Decimal = Field(Decimal("0.70"), gt=0, description="one position, of equity")
    # Flow (entries only; a close is never held back by them).
    max_open_orders: int = Field(40, gt=0, description="orders working per account")
    max_orders_per_minute: int = Field(30, gt=0, description="orders sent per rolling minute per account")
    # The collar: an entry's limit may sit this far (of the mid) outside the bid/ask, no further.
    collar_pct: Decimal = Field(Decimal("0.10"), ge=0, description="of the mid, beyond the touch")
    # The stale quote guard: no entry, and no market order at all, on a quote older than this.
    max_quote_age_seconds: int = Field(120, gt=0)
    # Orders outside the exchange's session (holidays, early closes, nights) are refused.
    market_hours: bool = True
