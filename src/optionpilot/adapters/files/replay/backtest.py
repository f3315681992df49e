"""Wiring a backtest over a store: its market, sessions, step and the `StoreMarket` factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from optionpilot.adapters.files.formats import DataFormat, Kind
from optionpilot.adapters.files.replay.config import ReplayConfig
from optionpilot.adapters.files.replay.market import StoreMarket
from optionpilot.adapters.files.store import DataStore
from optionpilot.core.calendars import Market, Session, calendar_for
from optionpilot.core.clock import SimulatedClock
from optionpilot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ReplaySpec:
    """What `app.backtest.MarketSource` needs, field for field."""

    market: Market
    sessions: list[Session]
    open: Callable[[SimulatedClock], StoreMarket]
    step_minutes: int
    label: str
    symbols: list[str]
    intraday: bool


def open_store_for_backtest(
    store: Path,
    symbols: list[str] | None,
    config: ReplayConfig | None = None,
    pick: Callable[[list[Session]], list[Session]] | None = None,
    period: str = "",
) -> ReplaySpec:
    """The sessions, market and step of a replay of `store` (minute data: 1 minute; daily data: a session).

    `pick` chooses the sessions to replay (a period); when it leaves none, the error names `period` and
    the sessions the store has."""
    ds = DataStore(store)
    if not (store / str(Kind.CHAINS)).is_dir():
        raise ConfigError(f"{store}: no option chains in this store (run `optionpilot data import` first)")
    available = ds.symbols(Kind.CHAINS)
    chosen = symbols or available
    missing = [s for s in chosen if s not in available]
    if missing:
        raise ConfigError(
            f"{store}: no chains of {', '.join(missing)} (the store has {', '.join(available)})"
        )
    markets = ds.markets()
    kinds = {markets.get(s, Market.US) for s in chosen}
    if len(kinds) != 1:
        raise ConfigError(
            f"{store}: {', '.join(chosen)} span markets {sorted(kinds)}; replay one market at a time"
        )
    market = kinds.pop()
    cal = calendar_for(market)
    minute_days: set[str] = set()
    for entry in ds.imports():
        if entry.get("fmt") == DataFormat.MINUTE_QUOTES.value:
            minute_days |= {d for s, d in entry.get("chain_days", []) if s in chosen}
    all_days = {d for s in chosen for d in ds.days(Kind.CHAINS, s)}
    intraday = bool(minute_days)
    days = sorted(minute_days if intraday else all_days)
    sessions = [cal.session(date.fromisoformat(d)) for d in days if cal.is_session(date.fromisoformat(d))]
    if not sessions:
        raise ConfigError(f"{store}: no trading session with chains of {', '.join(chosen)}")
    if pick is not None:
        have = sessions
        sessions = pick(sessions)
        if not sessions:
            raise ConfigError(
                f"period {period}: {store} has {len(have)} sessions of {', '.join(chosen)}, "
                f"from {have[0].day} to {have[-1].day}"
            )
        days = [s.day.isoformat() for s in sessions]
    step = 1 if intraday else max(s.minutes for s in sessions)
    cfg = config or ReplayConfig()
    replay_days = [s.day for s in sessions]
    label = f"store-{'-'.join(chosen)}-{days[0]}-{days[-1]}"

    def open_market(clock: SimulatedClock) -> StoreMarket:
        return StoreMarket(ds, clock, chosen, market=market, sessions=replay_days, config=cfg)

    return ReplaySpec(market, sessions, open_market, step, label, list(chosen), intraday)
