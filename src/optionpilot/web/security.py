"""Who may see the dashboard and act through it (after freqtrade's API server).

One token guards everything but `/healthz`: a browser brings it once as `?token=`, and from then on an
HttpOnly SameSite=Strict cookie carries a value derived from it (so the token itself never sits in the
cookie jar or the address bar); the API wants `Authorization: Bearer <token>`. Every POST carries a CSRF
value derived from the token too, which a page of another origin cannot read.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from dataclasses import dataclass

from optionpilot.core.errors import ConfigError

TOKEN_ENV = "OPTIONPILOT_DASHBOARD_TOKEN"
COOKIE = "optionpilot_dashboard"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_MIN_TOKEN = 16


@dataclass(frozen=True, slots=True)
class Access:
    """The token and what is derived from it; `generated` when nobody chose it (then it is printed)."""

    token: str
    generated: bool

    def _derive(self, purpose: str) -> str:
        return hmac.new(self.token.encode(), purpose.encode(), hashlib.sha256).hexdigest()

    @property
    def cookie_value(self) -> str:
        return self._derive("session")

    @property
    def csrf(self) -> str:
        return self._derive("csrf")

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def cookie_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.cookie_value.encode())

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())

    def bearer_ok(self, header: str | None) -> bool:
        if header is None:
            return False
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(value.strip())


def resolve_access(token: str | None, host: str, env: dict[str, str] | None = None) -> Access:
    """The token from `--token`, else the environment, else a fresh one; a non-loopback host needs a
    chosen token (a generated one would be printed to whoever sees the terminal, and guessed by nobody,
    but an address others can reach must not open on a token its owner never chose)."""
    environ = os.environ if env is None else env
    chosen = token if token is not None else environ.get(TOKEN_ENV) or None
    if chosen is not None and len(chosen) < _MIN_TOKEN:
        raise ConfigError(f"dashboard token: at least {_MIN_TOKEN} characters (--token or {TOKEN_ENV})")
    if not is_loopback(host) and chosen is None:
        raise ConfigError(
            f"--host {host}: not a loopback address; the dashboard listens there only with an explicit token "
            f"(--token or {TOKEN_ENV})"
        )
    if chosen is None:
        return Access(secrets.token_urlsafe(24), generated=True)
    return Access(chosen, generated=False)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
