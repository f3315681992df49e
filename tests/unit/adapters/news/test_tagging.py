"""Ticker tagging: cashtags, universe symbols as whole words, company names, and why each was tagged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from optionpilot.adapters.news.config import TaggingConfig
from optionpilot.adapters.news.tagging import TagReason, TickerTagger
from optionpilot.domain.market import NewsItem

UNIVERSE = ("SPY", "NVDA", "AAPL", "IT", "A", "BRK.B")


def reasons(tagger: TickerTagger, text: str, given: tuple[str, ...] = ()) -> dict[str, TagReason]:
    return {t.ticker: t.reason for t in tagger.tags(text, given)}


@pytest.fixture
def tagger() -> TickerTagger:
    return TickerTagger(TaggingConfig(universe=UNIVERSE))


def test_cashtags_are_tagged_and_dollar_amounts_are_not(tagger: TickerTagger) -> None:
    assert reasons(tagger, "$AAPL slips; $TSLA and $BRK.B steady after $5 billion deal") == {
        "AAPL": TagReason.CASHTAG,
        "TSLA": TagReason.CASHTAG,
        "BRK.B": TagReason.CASHTAG,
    }
    assert reasons(tagger, "Costs rose to $5bn, US$AAPLX nothing") == {}


def test_universe_symbols_count_only_as_whole_words(tagger: TickerTagger) -> None:
    got = reasons(tagger, "SPY little changed while NVDA's rally fades; SPYX and XNVDA are not tickers here")
    assert got == {"SPY": TagReason.SYMBOL, "NVDA": TagReason.SYMBOL}


def test_symbols_that_are_common_words_need_a_cashtag(tagger: TickerTagger) -> None:
    assert reasons(tagger, "IT spending grows, a survey says; A rally ahead") == {}
    assert reasons(tagger, "Gartner upgrades $IT") == {"IT": TagReason.CASHTAG}


def test_symbols_in_a_shouting_headline_are_not_trusted(tagger: TickerTagger) -> None:
    # Every word looks like a ticker in capitals; the company name still counts.
    assert reasons(tagger, "NVIDIA SOARS AS SPY HITS RECORD") == {"NVDA": TagReason.ALIAS}


def test_company_names_are_proper_nouns(tagger: TickerTagger) -> None:
    assert reasons(tagger, "Nvidia's record quarter") == {"NVDA": TagReason.ALIAS}
    assert reasons(tagger, "Bakers blame apple prices for pie costs") == {}
    assert reasons(tagger, "APPLE unveils new phone") == {"AAPL": TagReason.ALIAS}
    assert reasons(tagger, "Bank of America and Meta Platforms report") == {
        "BAC": TagReason.ALIAS,
        "META": TagReason.ALIAS,
    }


def test_each_ticker_once_with_the_first_reason(tagger: TickerTagger) -> None:
    got = tagger.tags("$NVDA: Nvidia and NVDA again", given=("nvda",))
    assert [(t.ticker, t.reason, t.evidence) for t in got] == [("NVDA", TagReason.SOURCE, "nvda")]
    assert tagger.tickers("Nvidia beats; $AAPL slips") == ("AAPL", "NVDA")


def test_universe_only_drops_tickers_outside_the_universe() -> None:
    tagger = TickerTagger(TaggingConfig(universe=UNIVERSE, universe_only=True))
    assert tagger.tickers("$TSLA and Nvidia", given=("MSFT",)) == ("NVDA",)


def test_aliases_from_config_replace_the_table() -> None:
    tagger = TickerTagger(TaggingConfig(aliases={"Alibaba": "baba"}, cashtags=False))
    assert reasons(tagger, "Alibaba and Nvidia rise; $AAPL") == {"BABA": TagReason.ALIAS}


def test_tag_item_reads_the_headline_and_the_body_only_when_asked() -> None:
    item = NewsItem(
        "n1", datetime(2024, 5, 1, tzinfo=UTC), "Chip stocks rise", "wire", ("SMH",), "Nvidia led."
    )
    assert TickerTagger().tag_item(item).tickers == ("SMH",)
    tagged = TickerTagger(TaggingConfig(scan_body=True)).tag_item(item)
    assert tagged.tickers == ("SMH", "NVDA")
    assert tagged.headline == item.headline and tagged.id == item.id


def test_config_is_strict() -> None:
    with pytest.raises(ValidationError, match="extra"):
        TaggingConfig.model_validate({"universe": ["SPY"], "nicknames": {}})
    with pytest.raises(ValidationError, match="alias name is empty"):
        TaggingConfig(aliases={" ": "X"})
    assert TaggingConfig(universe=(" spy ", "")).universe == ("SPY",)
