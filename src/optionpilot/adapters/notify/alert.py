"""One alert as every backend writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Alert:
    ts: datetime
    level: str
    title: str
    body: str

    def as_json(self) -> dict[str, Any]:
        """Slack-compatible (`text`) with the fields apart for anything else that reads it."""
        return {
            "text": f"[{self.level.upper()}] {self.title}: {self.body}",
            "level": self.level,
            "title": self.title,
            "body": self.body,
            "ts": self.ts.isoformat(),
        }
