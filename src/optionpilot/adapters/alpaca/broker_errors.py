"""Alpaca's failures as ours: a refusal is a BrokerError, a request whose outcome is unknown a BrokerTimeout.

Only a clear answer from Alpaca that it did not act (4xx) is a refusal. A 504, any other 5xx, a timeout or a
dropped connection may have left the order at the broker, so the order manager must look it up first.
"""

from __future__ import annotations

import json

import requests
from alpaca.common.exceptions import APIError

from optionpilot.core.errors import BrokerError, BrokerTimeout

BROKER = "alpaca"
# Alpaca's error codes (`{"code": 40310000, "message": ...}`) by what they mean to us.
_CODES = {
    40310000: "buying_power",
    40410000: "not_found",
    42910000: "rate_limit",
}


def status_of(exc: APIError) -> int | None:
    try:
        status = exc.status_code
        return None if status is None else int(status)
    except (AttributeError, ValueError):  # pragma: no cover - an APIError without its response
        return None


def message_of(exc: APIError) -> str:
    """Alpaca's message, or the raw body when it is not Alpaca's JSON (a proxy's page)."""
    try:
        return str(json.loads(str(exc))["message"])
    except (ValueError, KeyError, TypeError):
        return " ".join(str(exc).split())[:200]  # one line, even from a proxy's HTML page


def code_of(exc: APIError) -> str:
    try:
        code = int(json.loads(str(exc))["code"])
    except (ValueError, KeyError, TypeError):
        code = 0
    status = status_of(exc)
    if code in _CODES:
        return _CODES[code]
    if status == 403:
        return "buying_power" if "buying power" in message_of(exc).lower() else "forbidden"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limit"
    return f"http_{status}" if status is not None else "api_error"


def is_reused_client_id(exc: APIError) -> bool:
    return status_of(exc) == 422 and "client_order_id" in message_of(exc)


def broker_error(exc: Exception, what: str) -> BrokerError:
    """The BrokerError (or BrokerTimeout) for an exception raised by `what` (e.g. "submit abc-1")."""
    if isinstance(exc, APIError):
        status = status_of(exc)
        if status is None or status >= 500:
            return BrokerTimeout(f"{what}: HTTP {status}: {message_of(exc)}", broker=BROKER)
        retryable = status == 429
        return BrokerError(
            f"{what}: HTTP {status}: {message_of(exc)}", broker=BROKER, code=code_of(exc), retryable=retryable
        )
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        # The request may have reached Alpaca: the outcome is unknown.
        return BrokerTimeout(f"{what}: {type(exc).__name__}: {exc}", broker=BROKER)
    if isinstance(exc, requests.RequestException):
        return BrokerError(f"{what}: {type(exc).__name__}: {exc}", broker=BROKER, code="transport")
    if isinstance(exc, ValueError):
        # The SDK could not parse Alpaca's answer (its pydantic models raise ValueError subclasses).
        return BrokerError(
            f"{what}: unreadable answer: {str(exc).splitlines()[0]}", broker=BROKER, code="parse"
        )
    raise exc
