"""Passwords masked in any text: URLs (also unparseable ones and '@' inside the password), key=value."""

from __future__ import annotations

import logging

import pytest

from optionpilot.core.secrets import mask_log_records, mask_passwords


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql+psycopg://user:s3cr3t@host/db", "postgresql+psycopg://user:***@host/db"),
        (
            "postgresql://:s3cr3t@host:5432/db?sslmode=require",
            "postgresql://:***@host:5432/db?sslmode=require",
        ),
        ("cannot open postgresql://u:p@ss@h/db: refused", "cannot open postgresql://u:***@h/db: refused"),
        ("host=db user=u password=s3cr3t dbname=x", "host=db user=u password=*** dbname=x"),
        ("PASSWORD = 's3 cr3t' host=x", "PASSWORD = *** host=x"),
        ("sqlite:///out/optionpilot.sqlite", "sqlite:///out/optionpilot.sqlite"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("mail me at a@b.c, time 10:30", "mail me at a@b.c, time 10:30"),
    ],
)
def test_mask_passwords(text: str, shown: str) -> None:
    assert mask_passwords(text) == shown


def test_log_records_are_masked_for_every_handler(caplog: pytest.LogCaptureFixture) -> None:
    mask_log_records()
    mask_log_records()  # twice is once
    with caplog.at_level(logging.WARNING):
        logging.getLogger("optionpilot.test").warning("opening %s", "postgresql://u:s3cr3t@h/db")
    assert "s3cr3t" not in caplog.text
    assert "postgresql://u:***@h/db" in caplog.text
