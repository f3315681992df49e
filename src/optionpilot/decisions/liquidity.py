"""Liquidity of an option contract (seed 002/003): spread on the mid, open interest, volume, premium floor.

`liquidity_codes` checks a whole chain at once (arrays); `check_liquidity` checks one contract and is
what the codes mean, rule by rule. Each failure names its rule, so a rejection can be stored with it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.domain.recommendations import Decision

DAY_TRADE = "day_trade"

# Failure codes in the order they are checked; 0 passes.
OK = 0
EXPIRED = 1
NO_QUOTE = 2
CROSSED = 3
MIN_PREMIUM = 4
SPREAD = 5
OPEN_INTEREST = 6
VOLUME = 7
RULES: dict[int, str] = {
    EXPIRED: "liquidity.expired",
    NO_QUOTE: "liquidity.no_quote",
    CROSSED: "liquidity.crossed",
    MIN_PREMIUM: "liquidity.min_premium",
    SPREAD: "liquidity.spread",
    OPEN_INTEREST: "liquidity.open_interest",
    VOLUME: "liquidity.volume",
}


class LiquidityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_spread_day: float = Field(0.08, gt=0)  # of the mid
    max_spread_swing: float = Field(0.10, gt=0)
    min_open_interest: int = Field(500, ge=0)
    min_volume: int = Field(200, ge=0)
    min_mid: float = Field(0.30, ge=0)  # per share: no $0.05 lottery tickets

    def max_spread(self, trade_style: str) -> float:
        return self.max_spread_day if trade_style == DAY_TRADE else self.max_spread_swing


def spread_pct_of_mid(bid: float, ask: float) -> float:
    """(ask - bid) / mid: bid 2.50, ask 2.55 gives 0.05 / 2.525 = 1.98% (seed 002's fix)."""
    mid = (bid + ask) / 2.0
    return (ask - bid) / mid if mid > 0 else float("inf")


def liquidity_codes(
    bid: np.ndarray,
    ask: np.ndarray,
    open_interest: np.ndarray,
    volume: np.ndarray,
    expiry: np.ndarray,
    today: date,
    trade_style: str,
    config: LiquidityConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the first failing rule's code (0 = passes) and the spread on the mid (inf without a mid)."""
    bid = np.asarray(bid, dtype=np.float64)
    ask = np.asarray(ask, dtype=np.float64)
    mid = (bid + ask) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(mid > 0, (ask - bid) / mid, np.inf)
    checks = (
        (EXPIRED, np.asarray(expiry) < np.datetime64(today, "D")),
        (NO_QUOTE, ~((bid > 0) & (ask > 0))),
        (CROSSED, bid > ask),
        (MIN_PREMIUM, ~(mid >= config.min_mid)),
        (SPREAD, ~(spread <= config.max_spread(trade_style))),
        (OPEN_INTEREST, np.asarray(open_interest) < config.min_open_interest),
        (VOLUME, np.asarray(volume) < config.min_volume),
    )
    codes = np.zeros(bid.shape[0], dtype=np.int8)
    for code, failed in reversed(checks):  # the earliest rule wins: write it last
        codes[failed] = code
    return codes, spread


def describe(
    code: int,
    bid: float,
    ask: float,
    open_interest: int,
    volume: int,
    expiry: date,
    today: date,
    trade_style: str,
    config: LiquidityConfig,
) -> str:
    """The reason text of a failure code, with the numbers that failed."""
    spread = spread_pct_of_mid(bid, ask)
    if code == EXPIRED:
        return f"expired on {expiry.isoformat()} (today {today.isoformat()})"
    if code == NO_QUOTE:
        return f"no two-sided quote (bid {bid:.2f}, ask {ask:.2f})"
    if code == CROSSED:
        return f"crossed quote (bid {bid:.2f} above ask {ask:.2f})"
    if code == MIN_PREMIUM:
        return f"mid {(bid + ask) / 2:.2f} below the {config.min_mid:.2f} premium floor"
    if code == SPREAD:
        return f"spread {spread:.1%} of mid above {config.max_spread(trade_style):.0%} for a {trade_style}"
    if code == OPEN_INTEREST:
        return f"open interest {open_interest} below {config.min_open_interest}"
    if code == VOLUME:
        return f"volume {volume} below {config.min_volume}"
    return f"liquid: spread {spread:.1%} of mid, open interest {open_interest}, volume {volume}"


def check_liquidity(
    bid: Decimal,
    ask: Decimal,
    open_interest: int,
    volume: int,
    expiry: date,
    today: date,
    trade_style: str,
    config: LiquidityConfig | None = None,
) -> Decision[float]:
    """One contract: yes with its spread on the mid, or no with the first rule it fails."""
    cfg = config or LiquidityConfig()
    codes, spread = liquidity_codes(
        np.array([float(bid)]),
        np.array([float(ask)]),
        np.array([open_interest]),
        np.array([volume]),
        np.array([np.datetime64(expiry, "D")]),
        today,
        trade_style,
        cfg,
    )
    code = int(codes[0])
    reason = describe(code, float(bid), float(ask), open_interest, volume, expiry, today, trade_style, cfg)
    if code != OK:
        return Decision.no(reason, RULES[code], spread_pct=float(spread[0]))
    return Decision.yes(float(spread[0]), reason, "liquidity.ok", spread_pct=float(spread[0]))
