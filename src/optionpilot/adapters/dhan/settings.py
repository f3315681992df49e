"""Where and as whom the adapter talks to Dhan: credentials from the environment only, endpoints overridable.

A Dhan access token lives 24 hours, so it is read afresh at each start and never written anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from optionpilot.core.errors import ConfigError

CLIENT_ENV = "DHAN_CLIENT_ID"
TOKEN_ENV = "DHAN_ACCESS_TOKEN"
URL_ENV = {
    "url": "OPTIONPILOT_DHAN_URL",
    "feed_url": "OPTIONPILOT_DHAN_FEED_URL",
    "order_feed_url": "OPTIONPILOT_DHAN_ORDER_FEED_URL",
}
DEFAULT_URL = "https://api.dhan.co/v2"


class DhanEndpoints(BaseModel):
    """The `[brokers.dhan]` config table: endpoint overrides (the stub, a proxy), timeouts, freeze limits.
    No credentials: those live in the environment only, so a config file can be shared without them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = DEFAULT_URL  # the REST base including /v2, e.g. http://127.0.0.1:8766/v2 for the stub
    feed_url: str | None = None  # the binary market feed websocket
    order_feed_url: str | None = None  # the order-update websocket
    timeout_s: float = Field(default=10.0, gt=0)
    # The exchange's freeze quantity per underlying (units): larger orders are sliced. The security
    # master's figure wins where it has one.
    freeze_quantity: dict[str, int] = Field(default_factory=dict)
    # How far from the touch a LIMIT order may be priced (fraction of the reference price).
    price_collar: float = Field(default=0.05, gt=0, lt=1)


class DhanSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str
    access_token: SecretStr
    endpoints: DhanEndpoints = DhanEndpoints()

    @property
    def url(self) -> str:
        return self.endpoints.url.rstrip("/")


def dhan_settings(env: Mapping[str, str], table: Mapping[str, object] | None = None) -> DhanSettings:
    """The settings from the environment and the `[brokers.dhan]` table; the environment's URLs win.

    A missing credential is a one-line error naming the variable; the token is never in any message.
    """
    missing = [name for name in (CLIENT_ENV, TOKEN_ENV) if not env.get(name)]
    if missing:
        raise ConfigError(f"Dhan needs {' and '.join(missing)} in the environment")
    fields = dict(table or {})
    for field, name in URL_ENV.items():
        if env.get(name):
            fields[field] = env[name]
    try:
        endpoints = DhanEndpoints.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"brokers.dhan.{where}: {first['msg']}") from None
    if not endpoints.url.rstrip("/").endswith("/v2"):
        raise ConfigError(f"brokers.dhan.url {endpoints.url!r}: give the REST base including /v2")
    return DhanSettings(
        client_id=env[CLIENT_ENV], access_token=SecretStr(env[TOKEN_ENV]), endpoints=endpoints
    )
