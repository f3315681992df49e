"""The one marker of both flows (`Marker`), the Greeks it works out, and the multi-leg exit inputs."""

from optionpilot.engine.marks.greeks import (
    PortfolioGreeks,
    delta_theta,
    greeks_at_iv,
    greeks_at_prices,
    option_greek_values,
    option_greeks_full,
    option_greeks_one,
    option_iv,
    portfolio_greeks,
    years_to_expiry,
)
from optionpilot.engine.marks.legs import PEAK_CAPTURE, leg_exit_inputs, two_sided, units_of
from optionpilot.engine.marks.marker import Marker, exposure

__all__ = [
    "PEAK_CAPTURE",
    "Marker",
    "PortfolioGreeks",
    "delta_theta",
    "exposure",
    "greeks_at_iv",
    "greeks_at_prices",
    "leg_exit_inputs",
    "option_greek_values",
    "option_greeks_full",
    "option_greeks_one",
    "option_iv",
    "portfolio_greeks",
    "two_sided",
    "units_of",
    "years_to_expiry",
]
