"""The Alpaca stub in-process on a free loopback port, on a clock the test steps, and the adapter on it.

The stub and the adapter share one `SimulatedClock`, so a test moves time for both, and a
`SimulatedMarket` built from the stub's config and seed on its own clock at the same instant is the
reference every answer is compared with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from optionpilot.adapters.alpaca.market_data import AlpacaMarketData
from optionpilot.adapters.alpaca.settings import AlpacaEndpoints, AlpacaSettings
from optionpilot.adapters.alpaca.transport import RequestBudget
from optionpilot.adapters.alpaca_stub.config import StubConfig
from optionpilot.adapters.alpaca_stub.server import RunningStub, first_sessions, start_in_thread
from optionpilot.adapters.sim.market import SimulatedMarket
from optionpilot.core.clock import SimulatedClock

KEY = "PKTESTKEY"
SECRET = "test-secret-not-real"


@dataclass
class Rig:
    stub: RunningStub
    clock: SimulatedClock
    config: StubConfig
    budget: RequestBudget
    data: AlpacaMarketData
    reference: SimulatedMarket
    reference_clock: SimulatedClock

    def advance(self, minutes: float = 0.0, *, seconds: float = 0.0) -> datetime:
        t = self.clock.now() + timedelta(minutes=minutes, seconds=seconds)
        self.clock.advance_to(t)
        self.reference_clock.advance_to(t)
        return t


RigFactory = Callable[..., Rig]


@pytest.fixture
def rig_factory() -> Iterator[RigFactory]:
    started: list[RunningStub] = []

    def start(
        minutes_after_open: float = 30.0,
        adapter: dict[str, Any] | None = None,
        symbols: list[str] | None = None,
        budget: Callable[[SimulatedClock], RequestBudget] | None = None,
        timeout_s: float = 10.0,
        **overrides: Any,
    ) -> Rig:
        config = StubConfig(**{"port": 0, "api_key_id": KEY, "api_secret_key": SECRET, **overrides})
        t0 = first_sessions(config)[0].open + timedelta(minutes=minutes_after_open)
        clock = SimulatedClock(t0)
        stub = start_in_thread(config, clock)
        started.append(stub)
        settings = AlpacaSettings(
            key_id=KEY,
            secret_key=SECRET,  # type: ignore[arg-type]
            endpoints=AlpacaEndpoints(trading_url=stub.url, timeout_s=timeout_s),
        )
        counted = budget(clock) if budget is not None else RequestBudget(190)
        ref_clock = SimulatedClock(t0)
        reference = SimulatedMarket(config.market, ref_clock, config.seed)
        data = AlpacaMarketData(
            settings,
            clock,
            counted,
            symbols or [u.symbol for u in reference.underlyings()],
            reference.calendar,
            **(adapter or {}),
        )
        return Rig(stub, clock, config, counted, data, reference, ref_clock)

    yield start
    for stub in started:
        stub.stop()


@pytest.fixture
def rig(rig_factory: RigFactory) -> Rig:
    return rig_factory()
