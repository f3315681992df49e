"""A backtest over real data: a market-data store (raw files are imported first) as the market source."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from optionpilot.adapters.files.replay import open_store_for_backtest
from optionpilot.adapters.files.store import DataStore
from optionpilot.app.backtest import MarketSource
from optionpilot.app.config import OptionPilotConfig, default_accounts
from optionpilot.app.data_import import import_paths
from optionpilot.app.periods import Period, session_picker
from optionpilot.core.errors import ConfigError


def is_store(path: Path) -> bool:
    return (path / "chains").is_dir()


def ensure_store(data: Path, out: Path, console: Console | None = None) -> Path:
    """`data` when it is a store; else its files imported into `<out>/stores/<name>` (idempotent)."""
    if not data.exists():
        raise ConfigError(f"--data {data}: no such file or directory")
    if is_store(data):
        return data
    store_dir = out / "stores" / data.name.replace(".", "_")
    store = DataStore(store_dir)

    def said(path: Path) -> None:
        if console is not None:
            console.print(f"imported {path.name} into {store_dir}")

    import_paths(store, [data], on_file=said)
    return store_dir


def replay_source(
    data: Path,
    config: OptionPilotConfig,
    symbols: str | None,
    console: Console | None = None,
    period: Period | None = None,
) -> tuple[MarketSource, OptionPilotConfig]:
    store = ensure_store(data, Path(config.run.out), console)
    wanted = [s.strip().upper() for s in symbols.split(",") if s.strip()] if symbols else None
    pick = session_picker(period) if period is not None else None
    spec = open_store_for_backtest(store, wanted, pick=pick, period=period.text() if period else "")
    source = MarketSource(
        spec.market, spec.sessions, spec.open, spec.step_minutes, spec.label, end_of_day=not spec.intraday
    )
    # The default accounts trade in the data's market; accounts a user configured are kept as given.
    if config.accounts == default_accounts() and spec.market is not config.accounts[0].market:
        accounts = [a.model_copy(update={"market": spec.market}) for a in config.accounts]
        config = config.model_copy(update={"accounts": accounts})
    return source, config
