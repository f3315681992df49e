"""Settings shared by every news source: ticker tagging, deduplication, merging, the broker's news."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TICKER_PATTERN = r"^[A-Z][A-Z0-9]{0,5}([.\-][A-Z]{1,2})?$"


def _default_aliases() -> dict[str, str]:
    # A small starter table; users extend it in config. Names only, matched as whole words.
    return {
        "Nvidia": "NVDA",
        "Apple": "AAPL",
        "Microsoft": "MSFT",
        "Alphabet": "GOOGL",
        "Google": "GOOGL",
        "Amazon": "AMZN",
        "Meta Platforms": "META",
        "Tesla": "TSLA",
        "Netflix": "NFLX",
        "Advanced Micro Devices": "AMD",
        "Intel": "INTC",
        "Bank of America": "BAC",
        "JPMorgan": "JPM",
        "IBM": "IBM",
        "Boeing": "BA",
    }


def _default_stop_symbols() -> tuple[str, ...]:
    # Tickers that are also ordinary capitalised words in headlines ("IT", "ON", "AI"): tag them only
    # from a cashtag or an alias, never from the bare word.
    return (
        "A",
        "I",
        "IT",
        "ON",
        "ALL",
        "ARE",
        "BE",
        "CAN",
        "GO",
        "SO",
        "NOW",
        "AI",
        "EV",
        "CEO",
        "USA",
        "ONE",
    )


class TaggingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    universe: tuple[str, ...] = ()
    aliases: dict[str, str] = Field(default_factory=_default_aliases)
    stop_symbols: tuple[str, ...] = Field(default_factory=_default_stop_symbols)
    cashtags: bool = True
    # Only tickers of the universe survive tagging when set (an empty universe keeps everything).
    universe_only: bool = False
    # Bodies name peers and competitors in passing; by default only the headline tags.
    scan_body: bool = False

    @field_validator("universe", "stop_symbols")
    @classmethod
    def _upper(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(s.strip().upper() for s in v if s.strip())

    @field_validator("aliases")
    @classmethod
    def _alias_targets(cls, v: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, ticker in v.items():
            if not name.strip():
                raise ValueError("an alias name is empty")
            out[name.strip()] = ticker.strip().upper()
        return out


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The same normalised headline within this window is one story (wires repeat it across feeds).
    headline_window_minutes: float = Field(720.0, gt=0)
    # Ids are remembered longer: a broker may re-send an edited item days later under the same id.
    id_memory_hours: float = Field(72.0, gt=0)


class MergeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Feeds publish late: an item stamped before `since` but not yet delivered is still passed on when
    # it is at most this old. 0 keeps the window strict (backtests).
    late_minutes: float = Field(0.0, ge=0)
    tagging: TaggingConfig = Field(default_factory=TaggingConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)

    @model_validator(mode="after")
    def _late_within_memory(self) -> MergeConfig:
        # Past the id memory a late copy would no longer be recognised and would be delivered twice.
        if self.late_minutes > self.dedup.id_memory_hours * 60:
            hours = self.dedup.id_memory_hours
            raise ValueError(f"late_minutes {self.late_minutes} exceeds dedup.id_memory_hours ({hours} h)")
        return self


class AlpacaNewsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://data.alpaca.markets"
    path: str = "/v1beta1/news"
    # Only news about these symbols when set; Alpaca returns every symbol otherwise.
    symbols: tuple[str, ...] = ()
    page_limit: int = Field(50, ge=1, le=50)
    max_pages: int = Field(20, ge=1)
    timeout_seconds: float = Field(10.0, gt=0)
    user_agent: str = "OptionPilot/0.1 news"
    key_env: str = "APCA_API_KEY_ID"
    secret_env: str = "APCA_API_SECRET_KEY"

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(s.strip().upper() for s in v if s.strip())
        bad = [s for s in out if not re.match(TICKER_PATTERN, s)]
        if bad:
            raise ValueError(f"not ticker symbols: {', '.join(bad)}")
        return out


class NewsFileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Rows may carry their own source; this names the rest.
    default_source: str = "newsfile"
    # A file with more bad rows than this share is refused as a whole: it is likely the wrong layout.
    max_bad_share: float = Field(0.5, ge=0, le=1)
