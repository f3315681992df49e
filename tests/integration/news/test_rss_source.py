"""RSS and Atom feeds fetched from a local stub server: polling, conditional requests, failures per feed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from optionpilot.adapters.rss.config import RssConfig
from optionpilot.adapters.rss.errors import FeedError
from optionpilot.adapters.rss.fetching import FeedFetcher
from optionpilot.adapters.rss.source import RssNewsSource
from optionpilot.core.clock import SimulatedClock
from optionpilot.ports.news import NewsSource
from optionpilot.testing.news_server import ATOM, NewsStubServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "news"
NOW = datetime(2024, 5, 1, 21, tzinfo=UTC)
DAY = (datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))


@pytest.fixture
def server() -> Iterator[NewsStubServer]:
    with NewsStubServer() as s:
        yield s


def source(
    server: NewsStubServer, *paths: str, clock: SimulatedClock | None = None, **cfg: object
) -> RssNewsSource:
    config = RssConfig.model_validate({"feeds": [server.url(p) for p in paths], **cfg})
    return RssNewsSource(config, clock or SimulatedClock(NOW))


def test_rss_and_atom_feeds_are_read_into_one_sorted_window(server: NewsStubServer) -> None:
    server.serve_file("/rss", FIXTURES / "rss2_market.xml")
    server.serve_file("/atom", FIXTURES / "atom_market.xml", content_type=ATOM)
    news: NewsSource = source(server, "/rss", "/atom")
    got = news.fetch(*DAY)
    assert [n.id for n in got] == [
        "rss:mw-1001",
        "rss:urn:globaldesk:2001",
        "rss:mw-1002",
        "rss:mw-1003",
        "rss:https://example.com/markets/fed",
        "rss:urn:globaldesk:2002",
    ]
    assert [n.ts for n in got] == sorted(n.ts for n in got)
    narrow = news.fetch(datetime(2024, 5, 1, 14, 5, tzinfo=UTC), datetime(2024, 5, 1, 15, tzinfo=UTC))
    assert [n.id for n in narrow] == ["rss:mw-1002"]  # the end is exclusive


def test_feeds_are_polled_when_due_by_the_clock(server: NewsStubServer) -> None:
    server.serve_file("/rss", FIXTURES / "rss2_market.xml")
    clock = SimulatedClock(NOW)
    news = source(server, "/rss", clock=clock, poll_interval_seconds=60)
    news.fetch(*DAY)
    news.fetch(*DAY)
    assert len(server.requests_to("/rss")) == 1
    clock.advance_to(NOW + timedelta(seconds=60))
    news.fetch(*DAY)
    assert len(server.requests_to("/rss")) == 2
    assert news.poll(force=True) == 1


def test_etag_and_last_modified_make_conditional_requests(server: NewsStubServer) -> None:
    server.serve_file("/etag", FIXTURES / "rss2_market.xml", etag='"v1"')
    server.serve_file("/lm", FIXTURES / "atom_market.xml", last_modified="Wed, 01 May 2024 20:00:00 GMT")
    news = source(server, "/etag", "/lm", user_agent="OptionPilot-test/1")
    first = news.fetch(*DAY)
    news.poll(force=True)
    etag_requests = server.requests_to("/etag")
    lm_requests = server.requests_to("/lm")
    assert "if-none-match" not in etag_requests[0].headers
    assert etag_requests[1].headers["if-none-match"] == '"v1"'
    assert lm_requests[1].headers["if-modified-since"] == "Wed, 01 May 2024 20:00:00 GMT"
    assert etag_requests[0].headers["user-agent"] == "OptionPilot-test/1"
    # 304: the items already read are kept, not lost, and not counted again.
    assert news.fetch(*DAY) == first
    assert news.report.items_read == 6


def test_http_errors_name_the_feed_and_the_other_feeds_go_on(server: NewsStubServer) -> None:
    server.serve_file("/good", FIXTURES / "rss2_market.xml")
    server.serve("/down", "oops", status=500, content_type="text/plain")
    news = source(server, "/good", "/down", "/missing")
    assert len(news.fetch(*DAY)) == 4
    down, missing = news.errors[server.url("/down")], news.errors[server.url("/missing")]
    assert str(down) == f"{server.url('/down')}: HTTP 500 Internal Server Error"
    assert (down.status, down.retryable) == (500, True)
    assert (missing.status, missing.retryable) == (404, False)
    assert news.report.failures == {server.url("/down"): 1, server.url("/missing"): 1}
    # Once the feed is back, its error clears.
    server.serve_file("/down", FIXTURES / "atom_market.xml", content_type=ATOM)
    news.poll(force=True)
    assert server.url("/down") not in news.errors
    assert len(news.fetch(*DAY)) == 6


def test_a_slow_feed_times_out_with_its_url(server: NewsStubServer) -> None:
    server.serve_file("/slow", FIXTURES / "rss2_market.xml", delay_seconds=3)
    server.serve_file("/fast", FIXTURES / "atom_market.xml")
    news = source(server, "/slow", "/fast", timeout_seconds=0.2)
    assert [n.source for n in news.fetch(*DAY)] == ["Global Desk", "Global Desk"]
    error = news.errors[server.url("/slow")]
    assert "timed out" in str(error) and server.url("/slow") in str(error)
    assert error.retryable


def test_a_malformed_feed_keeps_its_last_good_items_and_is_fetched_whole_next_time(
    server: NewsStubServer,
) -> None:
    server.serve_file("/feed", FIXTURES / "rss2_market.xml", etag='"v1"')
    news = source(server, "/feed")
    assert len(news.fetch(*DAY)) == 4
    server.serve_file("/feed", FIXTURES / "malformed.xml", etag='"v2"')
    news.poll(force=True)
    assert "malformed feed: mismatched tag at line 13" in str(news.errors[server.url("/feed")])
    assert len(news.fetch(*DAY)) == 4
    news.poll(force=True)
    # The bad version's validators were dropped: no 304 for content that could not be read.
    assert "if-none-match" not in server.requests_to("/feed")[-1].headers


def test_undated_entries_are_counted_in_the_report(server: NewsStubServer) -> None:
    server.serve_file("/sloppy", FIXTURES / "rss_no_dates.xml")
    news = source(server, "/sloppy")
    assert [n.headline for n in news.fetch(datetime(2024, 5, 2, tzinfo=UTC), NOW + timedelta(days=1))] == [
        "Boeing wins defense contract"
    ]
    assert news.report.skipped == {
        "entry without a date": 1,
        "entry with an unreadable date": 1,
        "entry without a title": 1,
    }
    assert (news.report.items_read, news.report.items_kept) == (4, 1)


def test_oversized_and_unreachable_feeds_fail_clearly(server: NewsStubServer) -> None:
    server.serve_file("/big", FIXTURES / "rss2_market.xml")
    fetcher = FeedFetcher(RssConfig(max_bytes=100))
    with pytest.raises(FeedError, match=r"/big: feed larger than 100 bytes"):
        fetcher.get(server.url("/big"))
    closed = NewsStubServer()
    url = closed.url("/gone")
    closed.close()
    with pytest.raises(FeedError, match="could not connect") as info:
        fetcher.get(url)
    assert info.value.retryable
    fetcher.close()
