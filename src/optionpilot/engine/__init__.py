"""The stages of the flow, the runner that drives them from the clock, the order manager, reconciliation."""
