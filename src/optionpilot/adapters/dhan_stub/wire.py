"""Dhan's v2 wire format: request bodies in (camelCase), errors out as Dhan writes them.

An error is `{"errorType": ..., "errorCode": "DH-9xx", "errorMessage": ...}` with the HTTP status Dhan
uses for it. Times are Indian local time, `YYYY-MM-DD HH:MM:SS`; prices are numbers in rupees.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel, to_pascal

IST = ZoneInfo("Asia/Kolkata")


class ErrorCode(StrEnum):
    INVALID_AUTHENTICATION = "DH-901"
    INVALID_ACCESS = "DH-902"
    USER_ACCOUNT = "DH-903"
    RATE_LIMIT = "DH-904"
    INPUT_EXCEPTION = "DH-905"
    ORDER_ERROR = "DH-906"
    DATA_ERROR = "DH-907"
    INTERNAL_SERVER_ERROR = "DH-908"
    NETWORK_ERROR = "DH-909"
    OTHERS = "DH-910"


_TYPES: dict[ErrorCode, tuple[str, int]] = {
    ErrorCode.INVALID_AUTHENTICATION: ("Invalid_Authentication", 401),
    ErrorCode.INVALID_ACCESS: ("Invalid_Access", 403),
    ErrorCode.USER_ACCOUNT: ("User_Account", 403),
    ErrorCode.RATE_LIMIT: ("Rate_Limit", 429),
    ErrorCode.INPUT_EXCEPTION: ("Input_Exception", 400),
    ErrorCode.ORDER_ERROR: ("Order_Error", 400),
    ErrorCode.DATA_ERROR: ("Data_Error", 400),
    ErrorCode.INTERNAL_SERVER_ERROR: ("Internal_Server_Error", 500),
    ErrorCode.NETWORK_ERROR: ("Network_Error", 504),
    ErrorCode.OTHERS: ("Others", 500),
}


class DhanError(Exception):
    def __init__(self, code: ErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else _TYPES[code][1]

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: ErrorCode, message: str) -> dict[str, Any]:
    return {"errorType": _TYPES[code][0], "errorCode": code.value, "errorMessage": message}


def status_of(code: ErrorCode) -> int:
    return _TYPES[code][1]


def bad_input(message: str) -> DhanError:
    return DhanError(ErrorCode.INPUT_EXCEPTION, message)


def order_error(message: str) -> DhanError:
    return DhanError(ErrorCode.ORDER_ERROR, message)


def not_found(message: str) -> DhanError:
    return DhanError(ErrorCode.DATA_ERROR, message, status=404)


def ist(t: datetime | None) -> str:
    return "" if t is None else t.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")


def money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01"))) + 0.0  # never a negative zero


class OrderIn(BaseModel):
    """POST /v2/orders and /v2/orders/slicing. Unknown fields (bracket values, AMO time) are ignored."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)

    dhan_client_id: str = ""
    correlation_id: str | None = Field(default=None, max_length=30, pattern=r"^[A-Za-z0-9 _-]*$")
    transaction_type: Literal["BUY", "SELL"]
    exchange_segment: str
    product_type: str
    order_type: str
    validity: Literal["DAY", "IOC"] = "DAY"
    security_id: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    disclosed_quantity: int = Field(default=0, ge=0)
    price: Decimal = Field(default=Decimal(0), ge=0)
    trigger_price: Decimal | None = None
    after_market_order: bool = False


class ModifyIn(BaseModel):
    """PUT /v2/orders/{order-id}."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)

    dhan_client_id: str = ""
    order_id: str = ""
    order_type: str
    leg_name: str | None = None
    quantity: int | None = Field(default=None, gt=0)
    price: Decimal | None = Field(default=None, ge=0)
    disclosed_quantity: int | None = Field(default=None, ge=0)
    trigger_price: Decimal | None = None
    validity: Literal["DAY", "IOC"] | None = None


class ChainIn(BaseModel):
    """POST /v2/optionchain and /v2/optionchain/expirylist (Pascal case, as Dhan spells them)."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_pascal)

    underlying_scrip: int
    underlying_seg: str
    expiry: str | None = None
