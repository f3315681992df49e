"""The news port: items from feeds or a broker, deduplicated and tied to tickers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from optionpilot.domain.market import NewsItem


class NewsSource(Protocol):
    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]: ...
