"""A stub Alpaca on an accelerated clock in this process, and the environment `run --broker alpaca` reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from optionpilot.adapters.alpaca.settings import KEY_ENV, SECRET_ENV, URL_ENV
from optionpilot.adapters.alpaca_stub.config import StubConfig
from optionpilot.adapters.alpaca_stub.server import RunningStub, first_sessions, start_in_thread

KEY = "PKLIVERUNTEST"
SECRET = "live-run-test-secret"
SYMBOLS = ["SPY", "QQQ", "AAPL"]

StubFactory = Callable[..., RunningStub]


@pytest.fixture
def alpaca_stub() -> Iterator[StubFactory]:
    started: list[RunningStub] = []

    def start(speed: float, seconds_before_open: float = 20.0, **overrides: Any) -> RunningStub:
        config = StubConfig(port=0, api_key_id=KEY, api_secret_key=SECRET, speed=speed, **overrides)
        opens = first_sessions(config)[0].open
        config = config.model_copy(update={"start": opens - timedelta(seconds=seconds_before_open)})
        stub = start_in_thread(config)
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.stop()


def alpaca_env(stub: RunningStub) -> dict[str, str]:
    return {KEY_ENV: KEY, SECRET_ENV: SECRET, URL_ENV["trading_url"]: stub.url}
