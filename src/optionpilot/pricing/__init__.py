"""Prices, Greeks and implied volatility: the stable entry points others call."""

from optionpilot.pricing.black_scholes import Greeks, bs_greeks, bs_price

__all__ = ["Greeks", "bs_greeks", "bs_price"]
