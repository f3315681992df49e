"""`[notify]`: where alerts go. Nothing set, nothing sent: the engine runs the same either way."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

Level = Literal["info", "warning", "error", "critical"]
LEVELS: tuple[Level, ...] = ("info", "warning", "error", "critical")


class NotifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A chat webhook's URL carries its token, so it is a secret: masked in `config show`, never logged.
    webhook_url: SecretStr = Field(
        SecretStr(""), description="JSON POST, Slack-compatible; from OPTIONPILOT_NOTIFY__WEBHOOK_URL only"
    )
    log_file: Path | None = Field(None, description="alerts appended as JSON lines")
    min_level: Level = Field("warning", description="alerts below this level are not sent")
    timeout_s: float = Field(5.0, gt=0, le=60)
    retries: int = Field(3, ge=0, le=10, description="after the first try, with backoff")
    backoff_s: float = Field(1.0, ge=0, le=60, description="wait before retry n is backoff_s * 2**(n-1)")
    queue_size: int = Field(1000, ge=1, description="alerts waiting for the webhook; beyond, the oldest drop")

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: SecretStr) -> SecretStr:
        url = value.get_secret_value()
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                # The URL itself is not repeated: it holds the token.
                raise ValueError("notify.webhook_url must be an http(s) URL with a host")
        return value


def level_rank(level: str) -> int:
    """Position of `level` in LEVELS; an unknown level counts as an error (said, not lost)."""
    return LEVELS.index(level) if level in LEVELS else LEVELS.index("error")
