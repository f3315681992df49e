"""Alpaca's news endpoint, spoken by the local stub: pages, keys in headers, errors mapped to ours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from optionpilot.adapters.news.alpaca_news import AlpacaKeys, AlpacaNewsSource
from optionpilot.adapters.news.config import AlpacaNewsConfig
from optionpilot.core.errors import BrokerError, ConfigError, DataError
from optionpilot.ports.news import NewsSource
from optionpilot.testing.news_server import NewsStubServer

KEY, SECRET = "PKTESTKEY", "s3cr3t-never-shown"
T0 = datetime(2024, 5, 1, 13, 30, tzinfo=UTC)
ENV = {"APCA_API_KEY_ID": KEY, "APCA_API_SECRET_KEY": SECRET}


def record(n: int, minutes: float, symbols: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    ts = (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return {
        "id": 24800000 + n,
        "headline": f"Story {n}",
        "author": "Benzinga Newsdesk",
        "summary": f"Summary {n}",
        "content": "",
        "created_at": ts,
        "updated_at": ts,
        "url": f"https://www.benzinga.com/news/{n}",
        "images": [],
        "symbols": symbols if symbols is not None else ["AAPL"],
        "source": "benzinga",
        **extra,
    }


@pytest.fixture
def server() -> Iterator[NewsStubServer]:
    with NewsStubServer() as s:
        yield s


def alpaca(server: NewsStubServer, **cfg: object) -> AlpacaNewsSource:
    config = AlpacaNewsConfig.model_validate({"base_url": server.base_url, "timeout_seconds": 2, **cfg})
    return AlpacaNewsSource(config, AlpacaKeys.from_env(config, ENV))


def test_all_pages_are_read_oldest_first_within_the_window(server: NewsStubServer) -> None:
    route = server.serve_alpaca_news([record(i, i) for i in range(120)], key_id=KEY, secret_key=SECRET)
    news: NewsSource = alpaca(server)
    got = news.fetch(T0, T0 + timedelta(minutes=110))
    # The endpoint's end is inclusive; minute 110 belongs to the next window.
    assert [n.id for n in got] == [f"alpaca:{24800000 + i}" for i in range(110)]
    assert route.pages_served == 3
    first = got[0]
    assert (first.ts, first.headline, first.source, first.tickers, first.body) == (
        T0,
        "Story 0",
        "alpaca:benzinga",
        ("AAPL",),
        "Summary 0",
    )
    sent = server.requests_to("/v1beta1/news")
    assert sent[0].headers["apca-api-key-id"] == KEY
    assert sent[0].headers["apca-api-secret-key"] == SECRET
    assert sent[0].query["start"] == ["2024-05-01T13:30:00Z"]
    assert sent[0].query["sort"] == ["asc"] and sent[0].query["limit"] == ["50"]
    assert "page_token" in sent[1].query


def test_symbols_filter_is_sent(server: NewsStubServer) -> None:
    server.serve_alpaca_news(
        [record(1, 1, ["NVDA"]), record(2, 2, ["AAPL", "MSFT"]), record(3, 3, [])],
        key_id=KEY,
        secret_key=SECRET,
    )
    got = alpaca(server, symbols=["msft", "nvda"]).fetch(T0, T0 + timedelta(hours=1))
    assert [n.tickers for n in got] == [("NVDA",), ("AAPL", "MSFT")]
    assert server.requests[0].query["symbols"] == ["MSFT,NVDA"]


def test_bad_records_are_skipped_and_counted(server: NewsStubServer) -> None:
    server.serve_alpaca_news(
        [
            record(1, 1),
            record(2, 2, headline="  "),
            record(3, 3, created_at="2024-05-01T13:33:00"),
            record(4, 4),
        ],
        key_id=KEY,
        secret_key=SECRET,
    )
    news = alpaca(server)
    assert [n.headline for n in news.fetch(T0, T0 + timedelta(hours=1))] == ["Story 1", "Story 4"]
    assert news.report.skipped == {
        "news record without a headline": 1,
        "news record: timestamp has no zone": 1,
    }


def test_wrong_keys_are_refused_without_showing_them(server: NewsStubServer) -> None:
    server.serve_alpaca_news([record(1, 1)], key_id=KEY, secret_key="another")
    news = alpaca(server)
    with pytest.raises(BrokerError) as info:
        news.fetch(T0, T0 + timedelta(hours=1))
    assert (info.value.broker, info.value.code, info.value.retryable) == ("alpaca", "401", False)
    assert "check the API keys" in str(info.value) and server.base_url in str(info.value)
    assert SECRET not in str(info.value) and KEY not in str(info.value)
    assert SECRET not in repr(AlpacaKeys.from_env(environ=ENV))


def test_server_errors_are_retryable_and_garbage_is_a_data_error(server: NewsStubServer) -> None:
    server.serve("/v1beta1/news", '{"message": "internal"}', status=500, content_type="application/json")
    with pytest.raises(BrokerError, match=r"HTTP 500: internal") as info:
        alpaca(server).fetch(T0, T0 + timedelta(hours=1))
    assert info.value.retryable
    server.serve("/v1beta1/news", "<html>", content_type="text/html")
    with pytest.raises(DataError, match=r"/v1beta1/news: news response is not JSON"):
        alpaca(server).fetch(T0, T0 + timedelta(hours=1))
    server.serve("/v1beta1/news", '{"items": []}', content_type="application/json")
    with pytest.raises(DataError, match="no `news` list"):
        alpaca(server).fetch(T0, T0 + timedelta(hours=1))


def test_a_slow_endpoint_times_out(server: NewsStubServer) -> None:
    server.serve("/v1beta1/news", '{"news": []}', content_type="application/json", delay_seconds=3)
    with pytest.raises(BrokerError) as info:
        alpaca(server, timeout_seconds=0.2).fetch(T0, T0 + timedelta(hours=1))
    assert (info.value.code, info.value.retryable) == ("timeout", True)


def test_keys_come_from_the_environment_only() -> None:
    with pytest.raises(ConfigError, match="APCA_API_KEY_ID, APCA_API_SECRET_KEY"):
        AlpacaKeys.from_env(environ={})
    cfg = AlpacaNewsConfig(key_env="MY_KEY", secret_env="MY_SECRET")
    with pytest.raises(ConfigError, match="MY_SECRET"):
        AlpacaKeys.from_env(cfg, {"MY_KEY": "k"})
    assert AlpacaKeys.from_env(cfg, {"MY_KEY": "k", "MY_SECRET": "s"}).headers()["APCA-API-SECRET-KEY"] == "s"


def test_a_page_limit_stops_runaway_pagination(server: NewsStubServer) -> None:
    server.serve_alpaca_news([record(i, i) for i in range(30)], key_id=KEY, secret_key=SECRET)
    news = alpaca(server, page_limit=10, max_pages=2)
    assert len(news.fetch(T0, T0 + timedelta(hours=1))) == 20
    assert news.report.skipped == {"more than 2 pages; the rest left unread": 1}
