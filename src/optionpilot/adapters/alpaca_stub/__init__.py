"""A local, stateful Alpaca: trading REST, market data and the trade_updates stream on the simulator.

The official SDK pointed at it with `url_override` works unchanged; users rehearse a trading day on it
and the test suite runs every Alpaca test against it (tests never touch the network).
"""
