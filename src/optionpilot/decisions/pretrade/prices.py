"""The limit-price collar around the mid and the stale quote guard.

Prices are per unit and per share, signed like an order's limit: positive a net debit, negative a net
credit; a multi-leg order's bid/ask is its legs' natural prices netted (what selling and buying it costs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from optionpilot.decisions.pretrade.config import PreTradeConfig
from optionpilot.domain.recommendations import Decision


@dataclass(frozen=True, slots=True)
class NetQuote:
    """An order's market: the price to sell it (bid) and to buy it (ask), and how old the oldest leg is."""

    bid: Decimal
    ask: Decimal
    age: timedelta | None  # None: no leg has a time (a stock's last trade is the clock's)
    unit_value: Decimal = Decimal(0)  # one unit at the legs' mids, each at its multiplier, signed

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


def check_collar(limit: Decimal, quote: NetQuote, cfg: PreTradeConfig) -> Decision[Decimal]:
    """An entry's limit may sit outside the bid/ask by `collar_pct` of the mid, no further (a fat finger or a
    price from another instrument). A buy far below the bid is refused too: it means the price is wrong."""
    band = cfg.collar_pct * max(abs(quote.mid), Decimal("0.01"))
    low, high = quote.bid - band, quote.ask + band
    if limit < low or limit > high:
        return Decision.no(
            f"limit {limit} is outside the collar [{low:.2f}, {high:.2f}] around the mid {quote.mid:.2f} "
            f"(bid {quote.bid}, ask {quote.ask}, {cfg.collar_pct:.0%} of the mid beyond the touch)",
            "risk.collar",
            limit=float(limit),
            mid=float(quote.mid),
        )
    return Decision.yes(limit, f"limit {limit} within the collar around {quote.mid:.2f}", "risk.collar_ok")


def check_quote_age(
    quote: NetQuote | None,
    cfg: PreTradeConfig,
    *,
    entry: bool,
    market_order: bool,
    max_age: timedelta | None = None,
) -> Decision[timedelta]:
    """No entry on a missing or stale quote; no market order, entry or exit, on one either. A limit exit
    passes: its price is its own protection, and a position must always be closable. `max_age` widens
    the configured age (end-of-day data: a quote of this session is as fresh as that data gets)."""
    if not entry and not market_order:
        return Decision.yes(timedelta(0), "a limit close is not held to the quote's age", "risk.quote_exempt")
    what = "an entry" if entry else "a market order"
    if quote is None:
        return Decision.no(f"no quote for every leg: {what} needs one", "risk.no_quote")
    limit = max(timedelta(seconds=cfg.max_quote_age_seconds), max_age or timedelta(0))
    if quote.age is not None and quote.age > limit:
        return Decision.no(
            f"quote {int(quote.age.total_seconds())}s old, over {int(limit.total_seconds())}s: "
            f"{what} is not sent on a stale quote",
            "risk.stale_quote",
            age_s=quote.age.total_seconds(),
        )
    age = quote.age or timedelta(0)
    return Decision.yes(age, f"quote {int(age.total_seconds())}s old", "risk.quote_fresh")
