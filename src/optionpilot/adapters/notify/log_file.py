"""Alerts appended to a file as JSON lines: the simplest thing an operator can tail."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from optionpilot.adapters.notify.alert import Alert

log = logging.getLogger(__name__)


class LogFileNotifier:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.written = 0
        self.failed = 0
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> None:
        line = json.dumps(alert.as_json(), ensure_ascii=False)
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(line + "\n")
                self.written += 1
        except OSError as exc:
            # An alert file that cannot be written must not stop trading; it is said in the log.
            self.failed += 1
            log.error("notify: cannot append to %s: %s", self.path, exc.strerror or exc)
