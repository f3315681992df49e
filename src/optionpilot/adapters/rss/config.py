"""Which feeds to read, how often and how patiently."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class FeedConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    # The item's `source`; the feed's own title (or the host) when empty.
    name: str = ""
    # Tickers every item of this feed is about (a company's own press-release feed, say).
    tickers: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"feed url {v!r} is not an http(s) URL")
        return v.strip()

    @field_validator("tickers")
    @classmethod
    def _upper(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(t.strip().upper() for t in v if t.strip())


class RssConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: tuple[FeedConfig, ...] = ()
    # Seed 000 runs RSS ingest every minute.
    poll_interval_seconds: float = Field(60.0, gt=0)
    timeout_seconds: float = Field(10.0, gt=0)
    user_agent: str = "OptionPilot/0.1 feed reader"
    # A feed larger than this is refused rather than read into memory.
    max_bytes: int = Field(5_000_000, gt=0)
    # feedparser recovers entries from broken XML; strict refuses such a feed, naming its URL.
    strict_xml: bool = True

    @field_validator("feeds", mode="before")
    @classmethod
    def _plain_urls(cls, v: Any) -> Any:
        # A bare URL is a feed with no name and no ticker hints.
        if isinstance(v, list | tuple):
            return tuple({"url": f} if isinstance(f, str) else f for f in v)
        return v

    @model_validator(mode="after")
    def _unique_urls(self) -> RssConfig:
        urls = [f.url for f in self.feeds]
        dupes = sorted({u for u in urls if urls.count(u) > 1})
        if dupes:
            raise ValueError(f"feed listed twice: {', '.join(dupes)}")
        return self
