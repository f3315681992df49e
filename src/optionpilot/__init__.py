"""OptionPilot: automated options trading with one engine for backtest, paper and live."""

__version__ = "0.1.0"
