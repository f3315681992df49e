"""What a news source kept, skipped (and why, and where) and which of its inputs failed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Skipped:
    """One item or row left out: where it was (a feed URL, a file) and line, when there is one."""

    where: str
    reason: str
    line: int | None = None


@dataclass
class NewsReport:
    source: str
    items_read: int = 0
    items_kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    # Failed polls per input (feed URL, endpoint), and the last error message of each.
    failures: Counter[str] = field(default_factory=Counter)
    last_error: dict[str, str] = field(default_factory=dict)
    # Every skip kept for the first `max_kept`; the counters above stay exact beyond that.
    rejected: list[Skipped] = field(default_factory=list)
    max_kept: int = 1000

    def skip(self, reason: str, where: str, line: int | None = None) -> None:
        self.skipped[reason] += 1
        if len(self.rejected) < self.max_kept:
            self.rejected.append(Skipped(where, reason, line))

    def fail(self, where: str, error: str) -> None:
        self.failures[where] += 1
        self.last_error[where] = error

    def lines(self, reason: str) -> list[int]:
        """The line numbers skipped under `reason` (file sources)."""
        return [s.line for s in self.rejected if s.reason == reason and s.line is not None]

    def summary(self) -> str:
        parts = [f"{self.source}: {self.items_read} items read, {self.items_kept} kept"]
        for reason, n in self.skipped.most_common():
            lines = self.lines(reason)[:5]
            at = f"; lines {', '.join(map(str, lines))}" if lines else ""
            parts.append(f"{n} skipped ({reason}{at})")
        for where, n in self.failures.most_common():
            parts.append(f"{where} failed {n}x (last: {self.last_error[where]})")
        return "; ".join(parts)
