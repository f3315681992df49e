"""The `Notifier` port over the configured backends: stamps each alert with the clock, filters by level."""

from __future__ import annotations

from typing import Protocol

from optionpilot.adapters.notify.alert import Alert
from optionpilot.adapters.notify.config import NotifyConfig, level_rank
from optionpilot.adapters.notify.log_file import LogFileNotifier
from optionpilot.adapters.notify.webhook import WebhookNotifier
from optionpilot.core.clock import Clock


class Backend(Protocol):
    def send(self, alert: Alert) -> None: ...


class Notifiers:
    """Every configured backend; `notify` never raises and never waits on the network."""

    def __init__(self, clock: Clock, backends: list[Backend], min_level: str = "warning") -> None:
        self.clock = clock
        self.backends = backends
        self.min_level = min_level
        self.sent = 0

    @staticmethod
    def from_config(config: NotifyConfig, clock: Clock) -> Notifiers:
        backends: list[Backend] = []
        if config.log_file is not None:
            backends.append(LogFileNotifier(config.log_file))
        if config.webhook_url.get_secret_value():
            backends.append(WebhookNotifier(config))
        return Notifiers(clock, backends, config.min_level)

    def notify(self, level: str, title: str, body: str) -> None:
        if not self.backends or level_rank(level) < level_rank(self.min_level):
            return
        alert = Alert(self.clock.now(), level, title, body)
        for backend in self.backends:
            backend.send(alert)
        self.sent += 1

    def close(self) -> None:
        for backend in self.backends:
            if isinstance(backend, WebhookNotifier):
                backend.close()
