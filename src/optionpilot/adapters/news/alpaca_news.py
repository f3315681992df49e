"""Alpaca's news (`GET /v1beta1/news` on its data API) as a `NewsSource`, page by page, oldest first.

Keys come from the environment only and travel in the `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY`
headers; they are never put in a message, a log or a repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from optionpilot.adapters.news.config import AlpacaNewsConfig
from optionpilot.adapters.news.report import NewsReport
from optionpilot.adapters.news.times import TimestampError, parse_utc, require_utc
from optionpilot.core.errors import BrokerError, ConfigError, DataError
from optionpilot.domain.market import NewsItem

BROKER = "alpaca"


@dataclass(frozen=True, slots=True)
class AlpacaKeys:
    key_id: SecretStr
    secret_key: SecretStr

    @classmethod
    def from_env(
        cls, cfg: AlpacaNewsConfig | None = None, environ: Mapping[str, str] | None = None
    ) -> AlpacaKeys:
        """The keys from the environment variables the config names; a missing one is a `ConfigError`."""
        cfg = cfg or AlpacaNewsConfig()
        env = os.environ if environ is None else environ
        missing = [name for name in (cfg.key_env, cfg.secret_env) if not env.get(name, "").strip()]
        if missing:
            raise ConfigError(f"Alpaca news needs the environment variable(s) {', '.join(missing)}")
        return cls(SecretStr(env[cfg.key_env].strip()), SecretStr(env[cfg.secret_env].strip()))

    def headers(self) -> dict[str, str]:
        return {
            "APCA-API-KEY-ID": self.key_id.get_secret_value(),
            "APCA-API-SECRET-KEY": self.secret_key.get_secret_value(),
        }


def _rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _status_error(url: str, response: httpx.Response) -> BrokerError:
    """The one mapping of the news endpoint's HTTP failures to ours."""
    status = response.status_code
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            detail = f": {body['message']}"
    except ValueError:
        pass
    if status in (401, 403):
        what = f"news request refused (HTTP {status}{detail}); check the API keys"
    elif status == 429:
        what = f"news request throttled (HTTP 429{detail})"
    else:
        what = f"news request failed (HTTP {status}{detail})"
    return BrokerError(
        f"{what} at {url}", broker=BROKER, code=str(status), retryable=status >= 500 or status == 429
    )


def _transport_error(url: str, exc: httpx.HTTPError) -> BrokerError:
    code = "timeout" if isinstance(exc, httpx.TimeoutException) else "transport"
    return BrokerError(
        f"news request to {url} failed ({type(exc).__name__})",
        broker=BROKER,
        code=code,
        retryable=isinstance(exc, httpx.TransportError),
    )


class _Skip(ValueError):
    """A news record that cannot be used; the message is the reason counted."""


def _item(raw: Any) -> NewsItem:
    if not isinstance(raw, dict):
        raise _Skip("news record not an object")
    if raw.get("id") in (None, ""):
        raise _Skip("news record without an id")
    headline = " ".join(str(raw.get("headline") or "").split())
    if not headline:
        raise _Skip("news record without a headline")
    try:
        ts = parse_utc(str(raw.get("created_at") or ""))
    except TimestampError as exc:
        raise _Skip(f"news record: {exc.reason}") from None
    symbols = raw.get("symbols") or []
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise _Skip("news record with bad symbols")
    return NewsItem(
        id=f"alpaca:{raw['id']}",
        ts=ts,
        headline=headline,
        source=f"{BROKER}:{raw.get('source') or 'unknown'}",
        tickers=tuple(dict.fromkeys(s.strip().upper() for s in symbols if s.strip())),
        body=" ".join(str(raw.get("summary") or "").split()),
    )


class AlpacaNewsSource:
    def __init__(self, cfg: AlpacaNewsConfig, keys: AlpacaKeys, client: httpx.Client | None = None) -> None:
        self.cfg = cfg
        self.url = cfg.base_url.rstrip("/") + cfg.path
        self._client = client or httpx.Client(timeout=httpx.Timeout(cfg.timeout_seconds))
        self._headers = {**keys.headers(), "User-Agent": cfg.user_agent, "Accept": "application/json"}
        self.report = NewsReport(self.url)

    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]:
        """Items created in [since, until), oldest first; `BrokerError` or `DataError` naming the URL."""
        since = require_utc(since, "since")
        until = require_utc(until, "until")
        if until <= since:
            return []
        params: dict[str, str | int] = {
            "start": _rfc3339(since),
            "end": _rfc3339(until),
            "sort": "asc",
            "limit": self.cfg.page_limit,
            "include_content": "false",
        }
        if self.cfg.symbols:
            params["symbols"] = ",".join(self.cfg.symbols)
        out: list[NewsItem] = []
        for _ in range(self.cfg.max_pages):
            page = self._page(params)
            for raw in page["news"]:
                self.report.items_read += 1
                try:
                    item = _item(raw)
                except _Skip as exc:
                    self.report.skip(str(exc), self.url)
                    continue
                # The endpoint's `end` is inclusive; ours is not.
                if since <= item.ts < until:
                    out.append(item)
            token = page.get("next_page_token")
            if not token:
                break
            params["page_token"] = str(token)
        else:
            self.report.skip(f"more than {self.cfg.max_pages} pages; the rest left unread", self.url)
        self.report.items_kept += len(out)
        out.sort(key=lambda n: (n.ts, n.id))
        return out

    def _page(self, params: Mapping[str, str | int]) -> dict[str, Any]:
        try:
            response = self._client.get(self.url, params=params, headers=self._headers)
        except httpx.HTTPError as exc:
            raise _transport_error(self.url, exc) from exc
        if response.status_code != 200:
            raise _status_error(self.url, response)
        try:
            body = response.json()
        except ValueError:
            raise DataError("news response is not JSON", source=self.url) from None
        if not isinstance(body, dict) or not isinstance(body.get("news"), list):
            raise DataError("news response has no `news` list", source=self.url)
        return body

    def close(self) -> None:
        self._client.close()
