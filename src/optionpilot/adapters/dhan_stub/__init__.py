"""A local, stateful Dhan (v2): orders, trades, positions, funds, option chains, the kill switch, the
order-update websocket and the binary market feed, on the simulator's NSE market.

The official `dhanhq` SDK pointed at it (its `dhan_http.base_url`) works unchanged; users rehearse a
trading day on it and the test suite runs every Dhan test against it (tests never touch the network).
"""
