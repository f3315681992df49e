"""Multi-leg specifics: the desk that enters scanned strategies, their exits, rolls and expiries."""
