"""Checking an output directory before the long work that ends by writing into it."""

from __future__ import annotations

import os
from pathlib import Path

from optionpilot.core.errors import ConfigError


def check_writable(out: Path, flag: str = "--out") -> None:
    """The directory is writable, or can be made where its nearest existing parent is (nothing is created)."""
    path = out.expanduser().absolute()
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigError(f"{flag} {out}: {probe} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        where = "" if probe == path else f" (its parent {probe} is not writable)"
        raise ConfigError(f"{flag} {out}: not writable{where}")
