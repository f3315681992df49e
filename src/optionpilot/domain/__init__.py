"""Instruments, chains, orders, fills, positions, accounts and recommendations."""
