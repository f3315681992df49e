"""A database filled by a short backtest (2 sessions), and the dashboard over it in process."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from optionpilot.app.config import OptionPilotConfig
from optionpilot.persistence.database import create_engine
from optionpilot.testing.backtests import backtest_config, run_backtest
from optionpilot.web.app import create_app
from optionpilot.web.security import COOKIE, Access

TOKEN = "test-token-0123456789abcdef"


@dataclass(frozen=True)
class Filled:
    url: str
    run_id: str
    config: OptionPilotConfig


@pytest.fixture(scope="session")
def filled_db(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    path: Path = tmp_path_factory.mktemp("dashboard") / "bt.sqlite"
    url = f"sqlite:///{path}"
    bt, _ = run_backtest(url)
    return Filled(url, bt.run_id, backtest_config(url))


def copy_db(filled: Filled, to: Path) -> str:
    """A consistent copy by SQLite's backup API (a file copy would miss what still sits in the WAL)."""
    src = sqlite3.connect(filled.url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(to)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{to}"


@pytest.fixture
def access() -> Access:
    return Access(TOKEN, generated=False)


@pytest.fixture
def client(filled_db: Filled, access: Access) -> Iterator[TestClient]:
    """Signed in: it carries the session cookie, as a browser does after opening the printed URL."""
    engine = create_engine(filled_db.url)
    with TestClient(create_app(engine, filled_db.config, access, kill_wait_s=0.2)) as c:
        c.cookies.set(COOKIE, access.cookie_value)
        yield c
    engine.dispose()


@pytest.fixture
def anonymous(filled_db: Filled, access: Access) -> Iterator[TestClient]:
    engine = create_engine(filled_db.url)
    with TestClient(create_app(engine, filled_db.config, access)) as c:
        yield c
    engine.dispose()
