"""Multi-leg payoffs at expiry and before it, breakevens, and max profit and loss with unbounded flags.

A leg is a strike, a right, a signed quantity (+ long, - short, in contracts) and the premium paid per
share (negative when received is not used: the sign of the quantity says who paid). Stock legs have
right 'S' and strike 0; their premium is the entry price.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from optionpilot.core.errors import DataError
from optionpilot.pricing.black_scholes import F64
from optionpilot.pricing.compiled import bs_price


@dataclass(frozen=True, slots=True)
class Leg:
    right: str  # 'C', 'P' or 'S' (the underlying itself)
    strike: float
    quantity: float  # signed: + long, - short
    premium: float  # per share, what one unit cost (always >= 0)
    multiplier: float = 100.0
    expiry_years: float = 0.0  # time to this leg's expiry, for valuing before it
    iv: float = float("nan")

    def __post_init__(self) -> None:
        if self.right not in ("C", "P", "S"):
            raise DataError(f"leg right must be 'C', 'P' or 'S', got {self.right!r}")
        if self.right != "S" and not self.strike > 0:
            raise DataError(f"option leg strike must be positive, got {self.strike}")
        if not self.premium >= 0:
            raise DataError(
                f"leg premium must be >= 0 (the quantity's sign says long or short), got {self.premium}"
            )


def payoff_at_expiry(legs: list[Leg], spot: ArrayLike) -> F64:
    """Profit and loss in currency at expiry for each underlying price (premiums included)."""
    s = np.asarray(spot, dtype=np.float64)
    total = np.zeros_like(s)
    for leg in legs:
        if leg.right == "C":
            value = np.maximum(s - leg.strike, 0.0)
        elif leg.right == "P":
            value = np.maximum(leg.strike - s, 0.0)
        else:
            value = s
        total = total + leg.quantity * leg.multiplier * (value - leg.premium)
    return total


def payoff_before_expiry(
    legs: list[Leg], spot: ArrayLike, elapsed_years: float, r: float, q: float = 0.0
) -> F64:
    """P&L after `elapsed_years` at each underlying price, valuing each option by Black-Scholes at its IV."""
    s = np.asarray(spot, dtype=np.float64)
    total = np.zeros_like(s)
    for leg in legs:
        if leg.right == "S":
            value = s
        else:
            if not np.isfinite(leg.iv):
                raise DataError(f"leg {leg.right}{leg.strike} needs an iv to be valued before expiry")
            t = max(leg.expiry_years - elapsed_years, 0.0)
            value = bs_price(s, leg.strike, t, r, q, leg.iv, leg.right == "C")
        total = total + leg.quantity * leg.multiplier * (value - leg.premium)
    return np.asarray(total, dtype=np.float64)


class PayoffSummary(NamedTuple):
    breakevens: list[float]
    max_profit: float  # inf when unbounded
    max_loss: float  # a positive number, inf when unbounded
    profit_unbounded: bool
    loss_unbounded: bool


def summarize(legs: list[Leg]) -> PayoffSummary:
    """Exact for expiry payoffs: they are piecewise linear with kinks at the strikes."""
    if not legs:
        raise DataError("a strategy needs at least one leg")
    kinks = sorted({leg.strike for leg in legs if leg.right != "S"})
    top = (max(kinks) if kinks else max(leg.premium for leg in legs)) * 2.0 + 1.0
    xs = np.array([0.0, *kinks, top], dtype=np.float64)
    ys = payoff_at_expiry(legs, xs)
    # Slope past the last strike: calls and stock count, puts are worthless there.
    slope_up = sum(leg.quantity * leg.multiplier for leg in legs if leg.right in ("C", "S"))
    profit_unbounded = slope_up > 0
    loss_unbounded = slope_up < 0
    max_profit = float("inf") if profit_unbounded else float(ys.max())
    max_loss = float("inf") if loss_unbounded else float(max(-ys.min(), 0.0))
    breakevens: list[float] = []
    for x0, x1, y0, y1 in zip(xs[:-1], xs[1:], ys[:-1], ys[1:], strict=True):
        if y0 == 0.0 and (not breakevens or breakevens[-1] != x0) and x0 > 0:
            breakevens.append(float(x0))
        if y0 * y1 < 0:
            breakevens.append(float(x0 - y0 * (x1 - x0) / (y1 - y0)))
    if slope_up != 0 and ys[-1] * slope_up < 0:  # still on the wrong side at the top: crosses beyond it
        breakevens.append(float(xs[-1] - ys[-1] / slope_up))
    return PayoffSummary(breakevens, max_profit, max_loss, profit_unbounded, loss_unbounded)
