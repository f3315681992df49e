"""Calls to Alpaca's data endpoints through the SDK: one-line errors naming the endpoint, a 429 retried once.

The transport (`transport.attach`) has already counted the request against the key's budget and, on a
429, paused every client of the key; so a retry here waits out that pause in the budget, not in a sleep.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import requests
from alpaca.common.exceptions import APIError

from optionpilot.core.errors import MarketDataError

log = logging.getLogger(__name__)
T = TypeVar("T")


def _detail(exc: APIError) -> str:
    """Alpaca's own message when the body carries one, cut to one short line."""
    text = str(exc)
    try:
        body = json.loads(text)
        if isinstance(body, dict) and body.get("message"):
            text = str(body["message"])
    except ValueError:
        pass
    text = " ".join(text.split())
    return text[:160]


class DataRequests:
    """Runs each data call and maps what can go wrong to `MarketDataError`; counts calls per endpoint."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.calls: Counter[str] = Counter()
        self.retried_429 = 0

    def call(self, endpoint: str, fn: Callable[[], T]) -> T:
        for attempt in (0, 1):
            self.calls[endpoint] += 1
            try:
                return fn()
            except APIError as exc:
                status = exc.status_code
                if status == 429 and attempt == 0:
                    self.retried_429 += 1
                    log.warning("%s: throttled (HTTP 429); retrying once after the pause", endpoint)
                    continue
                raise MarketDataError(
                    f"HTTP {status}: {_detail(exc)}", endpoint=endpoint, status=status
                ) from None
            except requests.Timeout:
                raise MarketDataError(f"no answer within {self.timeout_s:g} s", endpoint=endpoint) from None
            except requests.RequestException as exc:
                raise MarketDataError(f"request failed ({type(exc).__name__})", endpoint=endpoint) from None
            except (ValueError, KeyError, TypeError) as exc:
                # The SDK parses the body before we see it: an answer it cannot read lands here.
                raise MarketDataError(
                    f"unreadable answer ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})",
                    endpoint=endpoint,
                ) from None
        raise MarketDataError("throttled (HTTP 429) twice", endpoint=endpoint, status=429)
