"""Feed documents to news items: RSS and Atom dates, markup, ids, undated and malformed feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from optionpilot.adapters.rss.config import FeedConfig, RssConfig
from optionpilot.adapters.rss.errors import FeedError
from optionpilot.adapters.rss.parsing import EntrySkip, ParsedFeed, parse_feed, plain_text
from optionpilot.core.errors import DataError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "news"


def read(doc: str, *, strict: bool = True, **cfg: object) -> ParsedFeed:
    feed = FeedConfig.model_validate({"url": f"http://feeds.test/{doc}", **cfg})
    return parse_feed((FIXTURES / doc).read_bytes(), feed, strict=strict)


def test_rss2_dates_in_any_zone_become_utc() -> None:
    parsed = read("rss2_market.xml")
    assert parsed.title == "Market Wire"
    assert [(n.id, n.ts) for n in parsed.items] == [
        ("rss:mw-1001", datetime(2024, 5, 1, 13, 30, tzinfo=UTC)),  # 09:30 -0400
        ("rss:mw-1002", datetime(2024, 5, 1, 14, 5, tzinfo=UTC)),  # GMT
        ("rss:mw-1003", datetime(2024, 5, 1, 15, 0, tzinfo=UTC)),
        ("rss:https://example.com/markets/fed", datetime(2024, 5, 1, 18, 0, tzinfo=UTC)),  # no guid: the link
    ]
    assert all(n.ts.tzinfo is UTC and n.source == "Market Wire" for n in parsed.items)
    assert parsed.skipped == []


def test_markup_is_stripped_and_entities_decoded() -> None:
    items = {n.id: n for n in read("rss2_market.xml").items}
    assert items["rss:mw-1001"].body == 'Shares of NVDA rose in "pre-market" trading.'
    assert items["rss:mw-1003"].headline == "AT&T and Verizon hold steady; SPY little changed"
    atom = read("atom_market.xml").items
    assert atom[0].headline == "Tesla recalls vehicles over software fault"
    assert atom[1].body == "Cloud names climbed."
    assert plain_text("<p>a&amp;b\n  <i>c</i></p>") == "a&b c"


def test_atom_prefers_published_and_falls_back_to_updated() -> None:
    items = read("atom_market.xml").items
    assert [(n.id, n.ts) for n in items] == [
        # published 19:00 +05:30, not the later `updated`
        ("rss:urn:globaldesk:2001", datetime(2024, 5, 1, 13, 30, tzinfo=UTC)),
        # only `updated`, 16:45:30 -04:00
        ("rss:urn:globaldesk:2002", datetime(2024, 5, 1, 20, 45, 30, tzinfo=UTC)),
    ]


def test_undated_and_untitled_entries_are_skipped_and_counted() -> None:
    parsed = read("rss_no_dates.xml")
    assert [n.headline for n in parsed.items] == ["Boeing wins defense contract"]
    assert sorted(parsed.skipped) == sorted([EntrySkip.NO_DATE, EntrySkip.BAD_DATE, EntrySkip.NO_TITLE])
    assert parsed.entries == 4


def test_feed_name_and_ticker_hints_from_config() -> None:
    items = read("rss_no_dates.xml", name="Boeing IR", tickers=["ba"]).items
    assert (items[0].source, items[0].tickers) == ("Boeing IR", ("BA",))


def test_entries_without_guid_or_link_get_a_stable_id() -> None:
    doc = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>One</title><pubDate>Wed, 01 May 2024 14:05:00 GMT</pubDate></item>
      <item><title>Two</title><pubDate>Wed, 01 May 2024 14:06:00 GMT</pubDate></item>
    </channel></rss>"""
    a = parse_feed(doc, FeedConfig(url="http://feeds.test/a")).items
    b = parse_feed(doc, FeedConfig(url="http://feeds.test/b")).items
    assert [n.id for n in a] == [n.id for n in b]
    assert len({n.id for n in a}) == 2


def test_malformed_xml_names_the_feed_and_the_line() -> None:
    with pytest.raises(
        FeedError, match=r"^http://feeds\.test/malformed\.xml: malformed feed: .* at line 13"
    ) as info:
        read("malformed.xml")
    assert isinstance(info.value, DataError)
    assert info.value.url == "http://feeds.test/malformed.xml"


def test_recovered_entries_are_used_only_when_not_strict() -> None:
    parsed = read("malformed.xml", strict=False)
    assert [n.headline for n in parsed.items] == ["Amazon opens new warehouse"]
    assert "line 13" in parsed.recovered_from


def test_a_document_that_is_not_a_feed_is_refused() -> None:
    for strict in (True, False):
        with pytest.raises(FeedError, match="not an RSS or Atom document"):
            read("not_a_feed.html", strict=strict)
    with pytest.raises(FeedError, match="malformed feed"):
        parse_feed(b"", FeedConfig(url="http://feeds.test/empty"))


def test_a_bytes_body_is_never_taken_for_a_file_name(tmp_path: Path) -> None:
    # feedparser opens a str or bytes argument as a path when one exists; the parser must not.
    target = tmp_path / "feed.xml"
    target.write_bytes((FIXTURES / "rss2_market.xml").read_bytes())
    with pytest.raises(FeedError):
        parse_feed(str(target).encode(), FeedConfig(url="http://feeds.test/x"))


def test_config_accepts_plain_urls_and_refuses_bad_ones() -> None:
    cfg = RssConfig.model_validate(
        {"feeds": ["https://a.test/rss", {"url": "https://b.test/atom", "tickers": ["nvda"]}]}
    )
    assert [(f.url, f.tickers) for f in cfg.feeds] == [
        ("https://a.test/rss", ()),
        ("https://b.test/atom", ("NVDA",)),
    ]
    assert cfg.poll_interval_seconds == 60.0
    with pytest.raises(ValidationError, match="not an http"):
        RssConfig.model_validate({"feeds": ["ftp://a.test/rss"]})
    with pytest.raises(ValidationError, match="listed twice"):
        RssConfig.model_validate({"feeds": ["https://a.test/rss", "https://a.test/rss"]})
    with pytest.raises(ValidationError, match="extra"):
        RssConfig.model_validate({"feeds": [], "interval": 5})
