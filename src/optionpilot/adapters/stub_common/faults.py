"""Which fault fires when: one seeded draw per occasion, so a rehearsal replays the same way.

Each stub names its own faults (a StrEnum); `--fault name[:rate]` is parsed here against those names.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from optionpilot.core.errors import ConfigError


class RatedFault(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def rate(self) -> float: ...


def parse_fault_text(text: str, known: Iterable[str]) -> tuple[str, float]:
    """`name` or `name:rate`, e.g. `http-504:0.2`; a one-line ConfigError otherwise."""
    names = list(known)
    name, _, rate = text.strip().partition(":")
    if name not in names:
        raise ConfigError(f"unknown fault {name!r}; known: {', '.join(names)}")
    try:
        value = float(rate) if rate else 1.0
    except ValueError:
        raise ConfigError(f"fault {text!r}: the rate must be a number from 0 to 1") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"fault {text!r}: the rate must be from 0 to 1")
    return name, value


class Faults:
    def __init__(self, specs: Sequence[RatedFault], seed: int) -> None:
        self._rates: dict[str, float] = {s.name: s.rate for s in specs}
        self._rng = random.Random(seed)
        self.fired: Counter[str] = Counter()

    def active(self, name: str) -> bool:
        return self._rates.get(name, 0.0) > 0.0

    def fires(self, name: str) -> bool:
        rate = self._rates.get(name, 0.0)
        if rate <= 0.0:
            return False
        hit = rate >= 1.0 or self._rng.random() < rate
        if hit:
            self.fired[name] += 1
        return hit

    def set_rate(self, name: str, rate: float) -> None:
        """Turn a fault on or off while the stub runs (tests and rehearsals script it)."""
        self._rates[name] = rate
