"""The one place that turns HTTP and XML failures of a feed into our errors, naming the feed URL."""

from __future__ import annotations

import httpx

from optionpilot.core.errors import DataError


class FeedError(DataError):
    """A feed could not be read: HTTP status, transport failure or malformed content. `url` names it."""

    def __init__(self, message: str, *, url: str, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message, source=url)
        self.url = url
        self.status = status
        self.retryable = retryable


def status_error(url: str, response: httpx.Response) -> FeedError:
    status = response.status_code
    # Server trouble and throttling pass; a missing or forbidden feed stays wrong until config changes.
    retryable = status >= 500 or status in (408, 429)
    phrase = response.reason_phrase or "error"
    return FeedError(f"HTTP {status} {phrase}", url=url, status=status, retryable=retryable)


def transport_error(url: str, exc: httpx.HTTPError) -> FeedError:
    if isinstance(exc, httpx.TimeoutException):
        return FeedError(f"timed out ({type(exc).__name__})", url=url, retryable=True)
    if isinstance(exc, httpx.TransportError):
        return FeedError(f"could not connect ({type(exc).__name__}: {exc})", url=url, retryable=True)
    return FeedError(f"request failed ({type(exc).__name__}: {exc})", url=url)


def too_large(url: str, limit: int) -> FeedError:
    return FeedError(f"feed larger than {limit} bytes", url=url)


def malformed(url: str, detail: str) -> FeedError:
    return FeedError(f"malformed feed: {detail}", url=url)
