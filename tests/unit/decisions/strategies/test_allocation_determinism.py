"""The allocator's budgets are the same in every process: string hashing is salted per process, so a sum
over a set of industry names came out a last bit apart, enough to flip a lot at a budget's edge and change
a whole backtest (the multileg flow's final equity differed between two runs of one seed)."""

from __future__ import annotations

import os
import subprocess
import sys

SNIPPET = """
from decimal import Decimal
from optionpilot.decisions.strategies.allocation_budgets import Budgets, Pick
from optionpilot.decisions.strategies.allocation_config import AllocationConfig, IndustryWeight, PositionType
weights = [0.3, 0.15, 0.15, 0.1, 0.1, 0.2, 0.07, 0.13, 0.011, 0.29]
inds = {f"Ind{i}": IndustryWeight(weight=w) for i, w in enumerate(weights)}
inds["Unclassified"] = IndustryWeight(weight=0.2)
cfg = AllocationConfig(industries=inds, symbol_industry={})
class C:
    def __init__(self, i):
        self.candidate_id = f"c{i}"
        self.underlying = f"S{i}"
picks = [Pick(1.0, C(i), 0.1, f"Ind{i}", PositionType.LONG, 1, Decimal(10)) for i in range(len(weights))]
b = Budgets.of(picks, Decimal(100000), cfg)
print(sorted((k, str(v)) for k, v in b.ind.items()))
"""


def test_industry_budgets_do_not_depend_on_the_process_hash_seed() -> None:
    outputs = set()
    for seed in range(1, 7):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run(
            [sys.executable, "-c", SNIPPET], env=env, capture_output=True, text=True, check=True, timeout=120
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1, outputs
