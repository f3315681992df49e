"""The backtest report: its input model, its metrics, and one self-contained HTML page."""
