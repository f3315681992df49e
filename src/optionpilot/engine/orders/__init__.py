"""Orders: the order manager (store before send, lookups, fills once), legged orders, reconciliation."""
