"""Alpaca on the official alpaca-py: market data, the trading account and the trade_updates stream.

Every HTTP request of every client goes through one `transport.RequestBudget` per key (Alpaca counts 200
requests a minute per key) with a timeout (the SDK sets none), and the SDK's own retries are off: a POST
it retried by itself after a 504 could place an order twice, so the adapter decides what is re-sent.
"""
