"""Getting a feed's bytes over HTTP, politely: timeouts, a size cap, ETag and Last-Modified revalidation."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from optionpilot.adapters.rss.config import RssConfig
from optionpilot.adapters.rss.errors import status_error, too_large, transport_error

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A feed's body, or None when the server said it has not changed since the last fetch."""

    url: str
    body: bytes | None
    content_type: str = ""

    @property
    def not_modified(self) -> bool:
        return self.body is None


class FeedFetcher:
    """One HTTP client for every feed; remembers each feed's validators for conditional requests."""

    def __init__(self, cfg: RssConfig, client: httpx.Client | None = None) -> None:
        self.cfg = cfg
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(cfg.timeout_seconds),
            follow_redirects=True,
            headers={"User-Agent": cfg.user_agent, "Accept": ACCEPT},
        )
        self._etag: dict[str, str] = {}
        self._last_modified: dict[str, str] = {}

    def get(self, url: str) -> Fetched:
        """The feed at `url`; raises `FeedError` naming the URL on any failure."""
        headers: dict[str, str] = {}
        if url in self._etag:
            headers["If-None-Match"] = self._etag[url]
        if url in self._last_modified:
            headers["If-Modified-Since"] = self._last_modified[url]
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return Fetched(url, None)
                if response.status_code != 200:
                    raise status_error(url, response)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.cfg.max_bytes:
                        raise too_large(url, self.cfg.max_bytes)
        except httpx.HTTPError as exc:
            raise transport_error(url, exc) from exc
        # Validators are kept only once the body is in hand, so a failed read is fetched whole next time.
        etag = response.headers.get("ETag")
        modified = response.headers.get("Last-Modified")
        if etag:
            self._etag[url] = etag
        if modified:
            self._last_modified[url] = modified
        return Fetched(url, bytes(body), response.headers.get("Content-Type", ""))

    def forget(self, url: str) -> None:
        """Drop `url`'s validators, so its next fetch is unconditional (after its content proved bad)."""
        self._etag.pop(url, None)
        self._last_modified.pop(url, None)

    def close(self) -> None:
        self._client.close()
