"""How often the engine looks at what, and the engine-level limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    watchlist_interval_minutes: int = Field(5, ge=1, description="Seed 001: rescored every 5 min")
    equity_interval_minutes: int = Field(15, ge=1, description="How often equity and Greeks are recorded")
    warmup_minutes: int = Field(20, ge=0, description="No new entries before SMA20 has a full window")
    entry_cutoff_minutes: int = Field(30, ge=0, description="No new entries this close to the close")
    max_signals_per_tick: int = Field(3, ge=1, description="Top-N of the watchlist that may trade per look")
    chain_max_dte: int = Field(45, ge=1, description="Widest expiry window a chain request asks for")
    entry_order_ttl_minutes: int = Field(3, ge=1, description="Cancel an entry limit not filled by then")
    record_signals: bool = Field(True, description="Store every signal (also those no account acted on)")
