"""Entry stages: the intraday signals, the scanned strategies, and the one dispatcher both pass."""
