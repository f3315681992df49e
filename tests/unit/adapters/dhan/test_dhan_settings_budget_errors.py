"""Dhan settings (credentials from the environment only), the request budget, and the SDK's answers mapped."""

from __future__ import annotations

import pytest

from optionpilot.adapters.dhan.broker_errors import broker_error, is_rate_limited
from optionpilot.adapters.dhan.request_budget import DhanBudget, Kind
from optionpilot.adapters.dhan.settings import dhan_settings
from optionpilot.core.errors import BrokerTimeout, ConfigError

ENV = {"DHAN_CLIENT_ID": "1000000001", "DHAN_ACCESS_TOKEN": "tok-secret-123"}


def test_missing_credentials_name_the_variables_and_never_the_token() -> None:
    with pytest.raises(ConfigError, match="DHAN_ACCESS_TOKEN") as err:
        dhan_settings({"DHAN_CLIENT_ID": "1"})
    assert "DHAN_CLIENT_ID" not in str(err.value)
    s = dhan_settings(ENV)
    assert "tok-secret-123" not in repr(s) and "tok-secret-123" not in str(s)
    assert s.url == "https://api.dhan.co/v2"


def test_environment_url_wins_over_the_table_and_must_include_v2() -> None:
    s = dhan_settings({**ENV, "OPTIONPILOT_DHAN_URL": "http://127.0.0.1:9/v2/"}, {"url": "http://x/v2"})
    assert s.url == "http://127.0.0.1:9/v2"
    with pytest.raises(ConfigError, match=r"brokers\.dhan\.url"):
        dhan_settings({**ENV, "OPTIONPILOT_DHAN_URL": "http://127.0.0.1:9"})
    with pytest.raises(ConfigError, match=r"brokers\.dhan\.timeout_s"):
        dhan_settings(ENV, {"timeout_s": -1})


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.now += s


def test_orders_never_exceed_any_window() -> None:
    t = FakeTime()
    budget = DhanBudget(seconds=t, sleep=t.sleep)
    stamps: list[float] = []
    for _ in range(1100):
        budget.acquire(Kind.ORDERS)
        stamps.append(t.now)
        t.now += 0.01
    for limit, seconds in ((10, 1.0), (250, 60.0), (1000, 3600.0)):
        worst = max(sum(1 for s in stamps[i:] if s - stamps[i] < seconds) for i in range(0, 1100, 7))
        assert worst <= limit, (limit, seconds, worst)
    assert stamps[-1] >= 3600.0  # the 1,001st order waited for the hour to roll


def test_option_chain_once_per_three_seconds_per_underlying_and_expiry() -> None:
    t = FakeTime()
    budget = DhanBudget(seconds=t, sleep=t.sleep)
    budget.acquire(Kind.DATA, chain_key=("NIFTY", "2026-12-31"))
    budget.acquire(Kind.DATA, chain_key=("BANKNIFTY", "2026-12-30"))
    assert t.now == 0.0
    budget.acquire(Kind.DATA, chain_key=("NIFTY", "2026-12-31"))
    assert t.now == pytest.approx(3.0)


def test_dh904_backs_off_doubling_and_resets_on_success() -> None:
    t = FakeTime()
    budget = DhanBudget(seconds=t, sleep=t.sleep)
    assert budget.throttled(Kind.ORDERS) == 1.0
    assert budget.throttled(Kind.ORDERS) == 2.0
    budget.acquire(Kind.ORDERS)
    assert t.now == pytest.approx(2.0)
    budget.succeeded(Kind.ORDERS)
    assert budget.throttled(Kind.ORDERS) == 1.0


def test_sdk_answers_map_to_typed_one_line_errors() -> None:
    refused = {"status": "failure", "remarks": {"error_code": "DH-906", "error_type": "Order_Error",
               "error_message": "Insufficient\nfunds"}, "data": ""}  # fmt: skip
    err = broker_error(refused, "place abc-1", write=True)
    assert not isinstance(err, BrokerTimeout) and err.code == "order_rejected" and not err.retryable
    assert "\n" not in str(err) and "DH-906" in str(err)
    silent = {"status": "failure", "remarks": "HTTPConnectionPool: Read timed out.", "data": ""}
    assert isinstance(broker_error(silent, "place abc-1", write=True), BrokerTimeout)
    assert not isinstance(broker_error(silent, "order book"), BrokerTimeout)
    expired = {"status": "failure", "remarks": {"error_code": "DH-901", "error_message": "bad token"}}
    assert "DHAN_ACCESS_TOKEN" in str(broker_error(expired, "fund limit"))
    busy = {"status": "failure", "remarks": {"error_code": "DH-904", "error_message": "slow down"}}
    assert is_rate_limited(busy) and broker_error(busy, "place").retryable
