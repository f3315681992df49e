"""Several sources as one: merged, tagged, deduplicated, sorted; a failing source is counted and skipped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from optionpilot.adapters.news.config import MergeConfig, TaggingConfig
from optionpilot.adapters.news.merged import MergedNewsSource
from optionpilot.adapters.news.news_file import NewsFileSource
from optionpilot.adapters.news.report import NewsReport
from optionpilot.core.errors import BrokerError, DataError, LookAheadError, OptionPilotError
from optionpilot.domain.market import NewsItem
from optionpilot.ports.news import NewsSource

T0 = datetime(2024, 5, 1, 13, 30, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def item(
    id_: str, minutes: float, headline: str, tickers: tuple[str, ...] = (), source: str = "s"
) -> NewsItem:
    return NewsItem(id_, at(minutes), headline, source, tickers)


def listed(*items: NewsItem) -> NewsFileSource:
    return NewsFileSource(items, NewsReport("list"))


class Failing:
    def __init__(self, error: OptionPilotError) -> None:
        self.error = error

    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]:
        raise self.error


class Sloppy:
    """Returns everything it has, whatever the window: the merge must still hold the window."""

    def __init__(self, *items: NewsItem) -> None:
        self.items = list(items)

    def fetch(self, since: datetime, until: datetime) -> Sequence[NewsItem]:
        return self.items


def test_sources_are_merged_tagged_deduplicated_and_sorted() -> None:
    wire = listed(item("w1", 5, "Nvidia beats estimates"), item("w2", 1, "$AAPL slips"))
    broker = listed(item("b1", 3, "NVIDIA beats estimates!", ("NVDA", "SMH")), item("b2", 2, "Fed holds"))
    news: NewsSource = MergedNewsSource([("wire", wire), ("broker", broker)])
    got = news.fetch(at(0), at(10))
    assert [(n.id, n.tickers) for n in got] == [
        ("w2", ("AAPL",)),
        ("b2", ()),
        # The earliest copy is kept; the later copy's tickers and the name tag join it.
        ("b1", ("NVDA", "SMH")),
    ]
    assert news.fetch(at(0), at(10)) == []  # a second poll of the same window has nothing new


def test_a_failing_source_is_counted_and_the_others_go_on() -> None:
    news = MergedNewsSource(
        [
            ("down", Failing(DataError("malformed feed", source="http://feed.test/x"))),
            ("broker", Failing(BrokerError("refused", broker="alpaca", code="401"))),
            ("wire", listed(item("w1", 1, "Tesla recalls cars"))),
        ]
    )
    assert [n.id for n in news.fetch(at(0), at(10))] == ["w1"]
    assert news.report.failures == {"down": 1, "broker": 1}
    assert "http://feed.test/x: malformed feed" in news.report.last_error["down"]
    assert "down failed 1x" in news.report.summary()


def test_look_ahead_is_never_swallowed() -> None:
    news = MergedNewsSource([("file", Failing(LookAheadError("asked past the clock")))])
    with pytest.raises(LookAheadError):
        news.fetch(at(0), at(1))


def test_nothing_outside_the_window_passes() -> None:
    news = MergedNewsSource(
        [("sloppy", Sloppy(item("early", -1, "a"), item("in", 0, "b"), item("end", 10, "c")))]
    )
    assert [n.id for n in news.fetch(at(0), at(10))] == ["in"]
    assert news.report.skipped["outside the requested window"] == 2


def test_late_items_are_delivered_once_when_a_late_window_is_set() -> None:
    source = Sloppy(item("on-time", 1, "a"))
    news = MergedNewsSource([("feed", source)], MergeConfig(late_minutes=30))
    assert [n.id for n in news.fetch(at(0), at(2))] == ["on-time"]
    # Published at minute 1 but only visible at minute 20: still passed on, and only once.
    source.items.append(item("late", 1.5, "b"))
    assert [n.id for n in news.fetch(at(19), at(20))] == ["late"]
    assert news.fetch(at(20), at(21)) == []
    strict = MergedNewsSource([("feed", Sloppy(item("late", 1.5, "b")))])
    assert strict.fetch(at(19), at(20)) == []


def test_tagging_config_reaches_every_source() -> None:
    cfg = MergeConfig(tagging=TaggingConfig(universe=("SPY", "NVDA"), universe_only=True))
    news = MergedNewsSource(
        [("a", listed(item("x", 1, "SPY slips as Nvidia and $TSLA fall", ("QQQ",))))], cfg
    )
    assert news.fetch(at(0), at(2))[0].tickers == ("SPY", "NVDA")


def test_a_late_window_longer_than_the_id_memory_is_refused() -> None:
    with pytest.raises(ValueError, match=r"exceeds dedup\.id_memory_hours"):
        MergeConfig.model_validate({"late_minutes": 600, "dedup": {"id_memory_hours": 5}})


def test_source_names_are_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        MergedNewsSource([("a", listed()), ("a", listed())])
