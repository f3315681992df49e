"""Passwords out of any text we show, store or log: the one place that knows what a password looks like.

A database URL (`postgresql+psycopg://user:secret@host/db`) carries its password in the text, so a URL
can leak through a config dump, an error message or a log line. Every such text passes `mask_passwords`.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
# scheme://user:password@ (user may be empty). The password runs to the last `@` before a space, as
# SQLAlchemy reads an unescaped `@` in a password.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)(?P<pw>\S*)@")
# libpq's key=value form (`host=db password=secret`), which a driver may echo in its messages.
_KEY_PASSWORD = re.compile(r"(?i)(?P<head>\b(?:password|passwd)\s*=\s*)(?P<pw>'[^']*'|[^\s'\"]+)")


def mask_passwords(text: str) -> str:
    """`text` with every URL password and `password=` value replaced by ***."""
    if "@" not in text and "=" not in text:
        return text
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)
    return _KEY_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)


def mask_log_records() -> None:
    """Every log record made from now on carries its message with passwords masked (whatever handler)."""
    make = logging.getLogRecordFactory()
    if getattr(make, "masks_passwords", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        message = record.getMessage()
        masked = mask_passwords(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    factory.masks_passwords = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
