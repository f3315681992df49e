"""Deduplication: the same id, or the same normalised headline within a window, across polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optionpilot.adapters.news.config import DedupConfig
from optionpilot.adapters.news.dedup import Deduplicator, normalise_headline
from optionpilot.domain.market import NewsItem

T0 = datetime(2024, 5, 1, 13, 30, tzinfo=UTC)


def item(id_: str, minutes: float, headline: str, tickers: tuple[str, ...] = ()) -> NewsItem:
    return NewsItem(id_, T0 + timedelta(minutes=minutes), headline, "test", tickers)


def test_normalised_headlines_ignore_case_punctuation_and_spacing() -> None:
    a = normalise_headline("NVIDIA beats estimates, as data center sales surge!")
    b = normalise_headline("Nvidia beats estimates as data-center   sales surge")
    assert a == b == "nvidia beats estimates as data center sales surge"
    assert normalise_headline("Ｎｖｉｄｉａ") == "nvidia"  # full-width letters fold too
    assert normalise_headline("Nvidia beats") != normalise_headline("Nvidia misses")


def test_same_id_is_one_story_across_polls() -> None:
    d = Deduplicator()
    assert [n.id for n in d.unique([item("a", 0, "First")])] == ["a"]
    assert d.unique([item("a", 0, "First, edited headline")]) == []
    assert d.duplicates == 1


def test_same_headline_within_the_window_is_one_story() -> None:
    d = Deduplicator(DedupConfig(headline_window_minutes=60))
    assert len(d.unique([item("a", 0, "Fed holds rates")])) == 1
    assert d.unique([item("b", 59, "FED HOLDS RATES.")]) == []
    # Outside the window the same words are a new story (a recurring headline on another day).
    assert [n.id for n in d.unique([item("c", 61, "Fed holds rates")])] == ["c"]
    assert d.duplicates == 1


def test_a_batch_is_sorted_and_copies_lend_their_tickers_to_the_first() -> None:
    d = Deduplicator()
    got = d.unique(
        [
            item("late", 10, "Tesla recalls cars", ("TSLA",)),
            item("copy", 5, "Nvidia beats estimates", ("NVDA", "SMH")),
            item("first", 1, "Nvidia beats estimates!", ("NVDA",)),
            item("first", 1, "Nvidia beats estimates!", ("NVDA",)),
        ]
    )
    assert [(n.id, n.tickers) for n in got] == [("first", ("NVDA", "SMH")), ("late", ("TSLA",))]
    assert d.duplicates == 2


def test_empty_normalised_headlines_match_only_by_id() -> None:
    d = Deduplicator()
    assert len(d.unique([item("a", 0, "—"), item("b", 0, "…")])) == 2


def test_memory_is_bounded_by_the_configured_windows() -> None:
    d = Deduplicator(DedupConfig(headline_window_minutes=10, id_memory_hours=1))
    d.unique([item("old", 0, "Old story")])
    d.unique([item(f"n{i}", 120 + i, f"Story {i}") for i in range(3)])
    assert len(d) == 3
    # Forgotten after the id memory: a re-sent old item is let through again, never silently kept forever.
    assert [n.id for n in d.unique([item("old", 0, "Old story")])] == ["old"]
