"""Buying power reserved by one unit of a candidate, by the strategy's margin rule.

- MAX_LOSS (defined risk: long options, verticals, long straddles/strangles, butterflies, condors, iron
  flies): the maximum loss at expiry.
- NAKED (short straddle, short strangle): Reg-T-like. Each short option needs its premium plus
  max(20% of spot - the amount it is out of the money, 10% of spot for a call or of strike for a put);
  a short straddle or strangle reserves the larger side's requirement plus the other side's premium.
- RATIO (1 long, 2 short): the net debit (if any) plus the Reg-T requirement of the one uncovered short.
- CASH_SECURED (cash-secured put): strike x multiplier; the premium received is not netted.
- SHARES (covered call): the shares bought, spot x multiplier; the call premium is not netted.
- DEBIT_SPREAD_TIME (calendars, diagonals): the net debit, plus the strike gap when the long (far) leg is
  further out of the money than the short (near) one and so covers it only partly.

All amounts are currency per unit (the multiplier is the contract size: 100 in the US, the lot in India).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from optionpilot.decisions.strategies.catalog import PROFILES, MarginRule
from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import MarginConfig
from optionpilot.decisions.strategies.legs import CALL, LegArrays, LegBatch
from optionpilot.decisions.strategies.metrics import BatchMetrics

F64 = NDArray[np.float64]


def naked_requirement(
    spot: float, strike: F64, is_call: NDArray[np.bool_], premium: F64, config: MarginConfig | None = None
) -> F64:
    """Per share: premium + max(a x spot - out-of-the-money amount, b x (spot for calls, strike for puts))."""
    cfg = config or MarginConfig()
    otm = np.where(is_call, np.maximum(strike - spot, 0.0), np.maximum(spot - strike, 0.0))
    floor = cfg.naked_min_pct * np.where(is_call, spot, strike)
    return np.asarray(premium + np.maximum(cfg.naked_pct_underlying * spot - otm, floor), dtype=np.float64)


def margin_per_unit(
    prep: PreparedChain,
    batch: LegBatch,
    legs: LegArrays,
    metrics: BatchMetrics,
    config: MarginConfig | None = None,
) -> F64:
    cfg = config or MarginConfig()
    rule = PROFILES[batch.strategy].margin
    m = float(prep.multiplier)
    spot = prep.spot
    qty = batch.qty
    short = qty < 0
    if rule is MarginRule.MAX_LOSS:
        return metrics.max_loss.copy()
    if rule is MarginRule.CASH_SECURED:
        return np.asarray((np.where(short, legs.strike, 0.0)).max(axis=1) * m, dtype=np.float64)
    if rule is MarginRule.SHARES:
        return np.full(len(batch), spot * m)
    is_call = legs.code == CALL
    req = np.where(short, naked_requirement(spot, legs.strike, is_call, legs.bid, cfg), 0.0)
    if rule is MarginRule.NAKED:
        prem = np.where(short, legs.bid, 0.0)
        total_prem = prem.sum(axis=1)
        j = np.argmax(req, axis=1)
        worst = req[np.arange(len(batch)), j]
        return np.asarray((worst + total_prem - prem[np.arange(len(batch)), j]) * m, dtype=np.float64)
    if rule is MarginRule.RATIO:
        # The uncovered short is one unit of the short strike: its requirement, plus any debit paid.
        per_short = np.where(short, req, 0.0).max(axis=1)
        return np.asarray((per_short + np.maximum(metrics.debit_natural, 0.0)) * m, dtype=np.float64)
    # DEBIT_SPREAD_TIME: a long call with a higher strike (or long put with a lower one) leaves a gap.
    k_long = np.where(qty > 0, legs.strike, np.nan)
    k_short = np.where(short, legs.strike, np.nan)
    kl, ks = np.nanmax(k_long, axis=1), np.nanmax(k_short, axis=1)
    calls = (is_call & (qty != 0)).any(axis=1)
    gap = np.where(calls, np.maximum(kl - ks, 0.0), np.maximum(ks - kl, 0.0))
    return np.asarray((np.maximum(metrics.debit_natural, 0.0) + gap) * m, dtype=np.float64)
