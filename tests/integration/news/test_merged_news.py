"""Feeds and the broker's news together, as the engine will poll them: each story once, with its tickers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from optionpilot.adapters.news.alpaca_news import AlpacaKeys, AlpacaNewsSource
from optionpilot.adapters.news.config import AlpacaNewsConfig, MergeConfig, TaggingConfig
from optionpilot.adapters.news.merged import MergedNewsSource
from optionpilot.adapters.rss.config import RssConfig
from optionpilot.adapters.rss.source import RssNewsSource
from optionpilot.core.clock import SimulatedClock
from optionpilot.testing.news_server import NewsStubServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "news"
ENV = {"APCA_API_KEY_ID": "k", "APCA_API_SECRET_KEY": "s"}


@pytest.fixture
def server() -> Iterator[NewsStubServer]:
    with NewsStubServer() as s:
        yield s


def test_feeds_and_broker_news_merge_into_tagged_unique_stories(server: NewsStubServer) -> None:
    server.serve_file("/wire", FIXTURES / "rss2_market.xml")
    server.serve_file("/agg", FIXTURES / "rss_duplicates.xml")
    server.serve_file("/broken", FIXTURES / "malformed.xml")
    server.serve_alpaca_news(
        [
            {
                "id": 1,
                "headline": "Nvidia beats estimates as data-center sales surge",
                "summary": "",
                "created_at": "2024-05-01T13:31:00Z",
                "updated_at": "2024-05-01T13:31:00Z",
                "symbols": ["NVDA", "AMD"],
                "source": "benzinga",
                "url": "https://example.com/b/1",
            },
            {
                "id": 2,
                "headline": "Options volume spikes in GOOGL",
                "summary": "Calls dominate.",
                "created_at": "2024-05-01T15:30:00Z",
                "updated_at": "2024-05-01T15:30:00Z",
                "symbols": ["GOOGL"],
                "source": "benzinga",
                "url": "https://example.com/b/2",
            },
        ],
        key_id="k",
        secret_key="s",
    )
    clock = SimulatedClock(datetime(2024, 5, 1, 16, 30, tzinfo=UTC))
    rss = RssNewsSource(
        RssConfig.model_validate(
            {
                "feeds": [
                    server.url("/wire"),
                    {"url": server.url("/agg"), "name": "Aggregator"},
                    server.url("/broken"),
                ]
            }
        ),
        clock,
    )
    alpaca_cfg = AlpacaNewsConfig(base_url=server.base_url)
    broker = AlpacaNewsSource(alpaca_cfg, AlpacaKeys.from_env(alpaca_cfg, ENV))
    news = MergedNewsSource(
        [("rss", rss), ("alpaca", broker)],
        MergeConfig(tagging=TaggingConfig(universe=("SPY", "NVDA", "AAPL", "BAC"))),
    )
    got = news.fetch(datetime(2024, 5, 1, 13, tzinfo=UTC), clock.now())
    assert [(n.id, n.tickers) for n in got] == [
        # The wire's copy is first (13:30); the broker's (13:31) and the aggregator's (13:34) are dropped,
        # their tickers kept.
        ("rss:mw-1001", ("NVDA", "AMD")),
        # Same guid in two feeds: one story.
        ("rss:mw-1002", ("AAPL",)),
        ("rss:mw-1003", ("SPY",)),
        ("alpaca:2", ("GOOGL",)),
        ("rss:agg-3", ("BAC",)),
    ]
    assert news.report.skipped["duplicate"] == 3
    assert rss.report.failures == {server.url("/broken"): 1}
    assert "malformed feed" in rss.report.last_error[server.url("/broken")]

    # The next poll, a minute later, has nothing new; the late Fed item (18:00) is not yet visible.
    clock.advance_to(clock.now() + timedelta(minutes=1))
    assert news.fetch(datetime(2024, 5, 1, 16, 30, tzinfo=UTC), clock.now()) == []
    rss.close()
    broker.close()
