"""Dhan's answers as ours. The dhanhq SDK never raises: every call returns
`{'status': 'success'|'failure', 'remarks': ..., 'data': ...}`. When Dhan answered with an error,
`remarks` is a dict with `error_code` (DH-901..DH-910, or a data code 800-814); when the request never got
an answer (a timeout, a dropped connection) or the answer was not JSON, `remarks` is the exception's text.

Only a clear error from Dhan is a refusal. No answer on a write is "unknown": the order may be at Dhan,
so it is a BrokerTimeout and the order is looked up by its correlation id before anything is re-sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optionpilot.core.errors import BrokerError, BrokerTimeout

BROKER = "dhan"
# Dhan's trading error codes by what they mean to us, and whether trying again later can help.
TRADING_CODES: dict[str, tuple[str, bool]] = {
    "DH-901": ("invalid_auth", False),  # client id or access token invalid or expired (24 h)
    "DH-902": ("no_access", False),  # not subscribed to the Data/Trading API
    "DH-903": ("account", False),  # account issue: segment not activated, etc.
    "DH-904": ("rate_limit", True),  # too many requests
    "DH-905": ("input", False),  # missing or bad fields
    "DH-906": ("order_rejected", False),  # the order itself is refused (margin, price band, ...)
    "DH-907": ("data", False),  # no data for the request
    "DH-908": ("internal", True),  # Dhan's server failed
    "DH-909": ("network", True),
    "DH-910": ("other", False),
}
# The market-data codes (800-814) of Dhan's data APIs.
DATA_CODES: dict[str, tuple[str, bool]] = {
    "800": ("internal", True),
    "804": ("too_many_instruments", False),
    "805": ("too_many_requests", True),
    "806": ("data_not_subscribed", False),
    "807": ("token_expired", False),
    "808": ("auth_failed", False),
    "809": ("token_invalid", False),
    "810": ("client_id_invalid", False),
    "811": ("bad_expiry", False),
    "812": ("bad_date", False),
    "813": ("bad_security_id", False),
    "814": ("bad_request", False),
}
UNKNOWN_ON_WRITE = frozenset({"DH-908", "DH-909"})
TOKEN_EXPIRED = frozenset({"DH-901", "807", "808", "809"})


def is_success(answer: Mapping[str, Any]) -> bool:
    return answer.get("status") == "success"


def error_code(answer: Mapping[str, Any]) -> str | None:
    """Dhan's error code, or None when the answer carries none (no answer at all)."""
    remarks = answer.get("remarks")
    if isinstance(remarks, Mapping):
        code = remarks.get("error_code")
        return None if code is None else str(code)
    return None


def _message(answer: Mapping[str, Any]) -> str:
    remarks = answer.get("remarks")
    if isinstance(remarks, Mapping):
        text = remarks.get("error_message") or remarks.get("error_type") or "no message"
    else:
        text = remarks or "no answer"
    return " ".join(str(text).split())[:200]  # one line, even from a proxy's HTML page


def broker_error(answer: Mapping[str, Any], what: str, *, write: bool = False) -> BrokerError:
    """The error for a failed SDK answer to `what` (e.g. "place abc-1"). `write`: the request may have
    changed state at Dhan, so no answer means the outcome is unknown."""
    code = error_code(answer)
    message = _message(answer)
    if code is None:
        if write:
            return BrokerTimeout(f"{what}: no answer from Dhan: {message}", broker=BROKER)
        return BrokerError(f"{what}: no answer from Dhan: {message}", broker=BROKER, code="transport")
    if write and code in UNKNOWN_ON_WRITE:
        # Dhan's gateway timed out or failed after the request reached it: the order may exist.
        return BrokerTimeout(f"{what}: {code}: {message}", broker=BROKER)
    meaning, retryable = TRADING_CODES.get(code) or DATA_CODES.get(code) or ("unknown", False)
    if code in TOKEN_EXPIRED:
        message += " (the access token may have expired: tokens live 24 h; set a new DHAN_ACCESS_TOKEN)"
    return BrokerError(f"{what}: {code}: {message}", broker=BROKER, code=meaning, retryable=retryable)


def is_rate_limited(answer: Mapping[str, Any]) -> bool:
    return error_code(answer) in ("DH-904", "805")
