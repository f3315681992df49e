"""The notifier port: tells a person about things that need them (a rejection storm, a failed unwind)."""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    def notify(self, level: str, title: str, body: str) -> None: ...
