"""Alpaca's wire format: request bodies in, JSON objects out, with Alpaca's field names and formats.

Numbers go out as strings the way Alpaca sends them (quantities and prices), times as RFC 3339 in UTC
with a `Z`, ids as UUIDs. Errors are `{"code": ..., "message": ...}` with Alpaca's codes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorCode(IntEnum):
    INVALID = 40010001  # bad request body or parameter; also a reused client_order_id
    UNAUTHORIZED = 40110000
    BUYING_POWER = 40310000
    NOT_FOUND = 40410000
    UNPROCESSABLE = 42210000  # price increment, time in force, not cancelable
    RATE_LIMIT = 42910000
    GATEWAY_TIMEOUT = 50400000


def error_body(code: ErrorCode, message: str) -> dict[str, Any]:
    return {"code": int(code), "message": message}


def rfc3339(t: datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def num(value: Decimal | int | None) -> str | None:
    """A quantity or price as Alpaca writes it: a plain decimal string, no exponent."""
    if value is None:
        return None
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return text


class LegIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    symbol: str = Field(min_length=1)
    ratio_qty: Decimal = Field(gt=0)
    side: Literal["buy", "sell"] | None = None
    position_intent: Literal["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"] | None = None


class OrderIn(BaseModel):
    """POST /v2/orders. Unknown fields are ignored, as Alpaca does."""

    model_config = ConfigDict(extra="ignore")

    symbol: str | None = None
    qty: Decimal | None = Field(default=None, gt=0)
    notional: Decimal | None = None
    side: Literal["buy", "sell"] | None = None
    type: str
    time_in_force: str
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    order_class: str | None = None
    extended_hours: bool | None = None
    client_order_id: str | None = Field(default=None, max_length=128)
    legs: list[LegIn] | None = None
    position_intent: Literal["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"] | None = None


class ReplaceIn(BaseModel):
    """PATCH /v2/orders/{id}."""

    model_config = ConfigDict(extra="ignore")

    qty: Decimal | None = Field(default=None, gt=0)
    time_in_force: str | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail: Decimal | None = None
    client_order_id: str | None = Field(default=None, max_length=128)


class AlpacaError(Exception):
    """An answer Alpaca gives as an HTTP error: the status, Alpaca's code and its message."""

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)
