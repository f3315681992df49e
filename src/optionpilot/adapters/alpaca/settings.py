"""Where and as whom the adapter talks to Alpaca: keys from the environment only, endpoints overridable."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from optionpilot.core.errors import ConfigError

KEY_ENV = "APCA_API_KEY_ID"
SECRET_ENV = "APCA_API_SECRET_KEY"
URL_ENV = {
    "trading_url": "OPTIONPILOT_ALPACA_TRADING_URL",
    "data_url": "OPTIONPILOT_ALPACA_DATA_URL",
    "stream_url": "OPTIONPILOT_ALPACA_STREAM_URL",
}


class AlpacaEndpoints(BaseModel):
    """The `[brokers.alpaca]` config table: endpoint overrides (the stub, a proxy) and limits. No keys:
    keys live in the environment only, so a config file can be shared without them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trading_url: str | None = None  # e.g. http://127.0.0.1:8765 for the stub
    data_url: str | None = None
    stream_url: str | None = None  # the trade_updates websocket base (ws://...), without /stream
    timeout_s: float = Field(default=10.0, gt=0)
    # Alpaca allows 200 a minute per key; our own count stays under it so a clock skew never trips theirs.
    requests_per_minute: int = Field(default=190, gt=0, le=200)


class AlpacaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str
    secret_key: SecretStr
    paper: bool = True
    endpoints: AlpacaEndpoints = AlpacaEndpoints()

    @property
    def trading_url(self) -> str | None:
        return self.endpoints.trading_url

    @property
    def data_url(self) -> str | None:
        return self.endpoints.data_url or self.endpoints.trading_url

    @property
    def stream_url(self) -> str | None:
        if self.endpoints.stream_url:
            return self.endpoints.stream_url
        url = self.endpoints.trading_url
        return None if url is None else "ws" + url.removeprefix("http")


def alpaca_settings(
    env: Mapping[str, str], table: Mapping[str, object] | None = None, *, paper: bool = True
) -> AlpacaSettings:
    """The settings from the environment and the `[brokers.alpaca]` table; the environment's URLs win.

    A missing key is a one-line error naming the variable; the secret is never in any message.
    """
    missing = [name for name in (KEY_ENV, SECRET_ENV) if not env.get(name)]
    if missing:
        raise ConfigError(f"Alpaca needs {' and '.join(missing)} in the environment")
    fields = dict(table or {})
    for field, name in URL_ENV.items():
        if env.get(name):
            fields[field] = env[name]
    try:
        endpoints = AlpacaEndpoints.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"brokers.alpaca.{where}: {first['msg']}") from None
    return AlpacaSettings(
        key_id=env[KEY_ENV], secret_key=SecretStr(env[SECRET_ENV]), paper=paper, endpoints=endpoints
    )
