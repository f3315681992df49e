"""Portfolio Greek caps scaled to the account's equity, on by default (issue 17).

Share-equivalents do not scale across accounts or markets (50 deltas of a ₹2,500 stock and of a $20 one are
different risks), so the caps are on values in the account's currency, as a share of its equity:
- delta: the net delta's value, sum of delta x spot (what the book gains on a 100% move, linearly);
- gamma: how much that value changes on a 1% move, sum of gamma x spot^2 / 100, capped when short only;
- vega: what the book gains on one vol point.
A $1,000 and a $121,000 account get the same leverage. The defaults sit above what the seeds' own books
reach, so they stop a book that runs away, not the seeds' trading: the default backtest refuses no entry on
them, and one call on a $180 stock, which a $1,000 account's tier buys (issue 5's planted surge), is ~15x
equity in delta value, hence a delta cap of 25x.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.money import cents
from optionpilot.domain.recommendations import Decision


class GreekCaps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    delta_equity_multiple: float = Field(25.0, gt=0, description="|sum delta x spot| / equity")
    gamma_equity_multiple: float = Field(2.0, gt=0, description="|sum gamma x spot^2 / 100| / equity")
    vega_equity_pct: float = Field(0.03, gt=0, description="|net vega per vol point| / equity")


@dataclass(frozen=True, slots=True)
class GreekValues:
    """Greeks as values in the account's currency (see the module docstring)."""

    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0

    def __add__(self, other: GreekValues) -> GreekValues:
        return GreekValues(self.delta + other.delta, self.gamma + other.gamma, self.vega + other.vega)


def check_greek_caps(
    equity: Decimal, net: GreekValues, trade: GreekValues, caps: GreekCaps
) -> Decision[GreekValues]:
    """The book's net Greeks with the trade added, against the caps; yes with the Greeks after.

    A trade that brings a Greek back toward zero passes even over a cap: it reduces the risk."""
    after = net + trade
    if not caps.enabled:
        return Decision.yes(after, "Greek caps are off", "risk.greeks_off")
    eq = float(equity)
    if eq <= 0:
        return Decision.no(f"equity {cents(equity)} is not positive: no Greeks can be added", "risk.equity")
    # Gamma is capped on the short side only: a long-gamma book loses at most its premium (which the
    # notional caps and sizing bound), a short-gamma one loses with the square of the move.
    limits = (
        ("risk.net_delta", net.delta, after.delta, caps.delta_equity_multiple * eq, "delta value"),
        ("risk.net_gamma", min(net.gamma, 0.0), min(after.gamma, 0.0), caps.gamma_equity_multiple * eq,
         "short gamma per 1%"),
        ("risk.net_vega", net.vega, after.vega, caps.vega_equity_pct * eq, "vega per vol point"),
    )  # fmt: skip
    for rule, before, now, limit, label in limits:
        if abs(now) > limit and abs(now) > abs(before):
            return Decision.no(
                f"net {label} would be {now:+,.0f}, over the cap of {limit:,.0f} "
                f"({limit / eq:.2f}x equity {cents(equity)})",
                rule,
                value=now,
                limit=limit,
            )
    return Decision.yes(
        after,
        f"net delta value {after.delta:+,.0f}, gamma {after.gamma:+,.0f}, vega {after.vega:+,.0f}",
        "risk.greeks_ok",
    )
