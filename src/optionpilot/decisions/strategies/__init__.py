"""Multi-leg strategies (seed 004): build every strategy that fits a chain, measure, score and allocate.

Entry points: `builder.scan_chain` (chain -> `ChainScan` of vectorized candidate batches),
`scoring.rank` (scan + market view -> ranked `StrategyCandidate` records), `allocation.allocate`
(ranked candidates + capital -> `AllocationPlan`). `analysis.market_view` reads the market.
"""
