"""Prices, Greeks and implied volatility: the stable entry points others call.

`bs_price`, `bs_greeks` and `implied_vol` are compiled (numba) and broadcast over scalars or arrays;
`optionpilot.pricing.black_scholes` holds the plain-numpy reference they are tested against.
"""

from optionpilot.pricing.black_scholes import Greeks
from optionpilot.pricing.compiled import (
    IVReason,
    IVResult,
    QuoteIV,
    bs_greeks,
    bs_price,
    bs_price_one,
    implied_vol,
    implied_vol_one,
    implied_vol_with_reason,
    quote_implied_vols,
    theta_per_day,
)
from optionpilot.pricing.config import PricingConfig

__all__ = [
    "Greeks",
    "IVReason",
    "IVResult",
    "PricingConfig",
    "QuoteIV",
    "bs_greeks",
    "bs_price",
    "bs_price_one",
    "implied_vol",
    "implied_vol_one",
    "implied_vol_with_reason",
    "quote_implied_vols",
    "theta_per_day",
]
