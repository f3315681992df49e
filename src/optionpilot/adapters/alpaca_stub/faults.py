"""Which fault fires when: one seeded draw per occasion, so a rehearsal replays the same way."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from optionpilot.adapters.alpaca_stub.config import FaultName, FaultSpec


class Faults:
    def __init__(self, specs: Sequence[FaultSpec], seed: int) -> None:
        self._rates = {s.name: s.rate for s in specs}
        self._rng = random.Random(seed)
        self.fired: Counter[FaultName] = Counter()

    def active(self, name: FaultName) -> bool:
        return self._rates.get(name, 0.0) > 0.0

    def fires(self, name: FaultName) -> bool:
        rate = self._rates.get(name, 0.0)
        if rate <= 0.0:
            return False
        hit = rate >= 1.0 or self._rng.random() < rate
        if hit:
            self.fired[name] += 1
        return hit

    def set_rate(self, name: FaultName, rate: float) -> None:
        """Turn a fault on or off while the stub runs (tests and rehearsals script it)."""
        self._rates[name] = rate
