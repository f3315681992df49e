"""Dhan (India): the binary market-feed codec shared by the local stub and the adapter."""
