from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from optionpilot.adapters.sim.market_config import NewsConfig, PlantedEvent, default_us_profiles
from optionpilot.adapters.sim.news import PLANTED_SOURCE, news_drift, session_news

PROFILES = default_us_profiles()
ROWS = {p.symbol: i for i, p in enumerate(PROFILES)}
OPEN = int(datetime(2026, 10, 5, 13, 30, tzinfo=UTC).timestamp())


def _news(day: date = date(2026, 10, 5), planted: list[PlantedEvent] | None = None, seed: int = 5):
    return session_news(PROFILES, NewsConfig(), seed, day, OPEN, 390, planted or [])


def test_news_is_deterministic_sorted_and_tied_to_tickers() -> None:
    a, b = _news(), _news()
    assert [n.item for n in a] == [n.item for n in b]
    assert [n.item.ts for n in a] == sorted(n.item.ts for n in a)
    for n in a:
        (ticker,) = n.item.tickers
        assert ticker in n.item.headline and -1.0 <= n.tone <= 1.0
    assert [n.item for n in _news(seed=6)] != [n.item for n in a]


def test_most_news_is_neutral_and_tone_matches_the_template() -> None:
    items = [n for k in range(40) for n in _news(day=date.fromordinal(740000 + k))]
    assert len(items) > 200
    tones = np.array([n.tone for n in items])
    assert 0.45 < np.mean(np.abs(tones) < 0.15) < 0.75
    bullish = [n.item.headline for n in items if n.tone > 0.3]
    bearish = [n.item.headline for n in items if n.tone < -0.3]
    assert any("beats" in h or "upgrade" in h or "rall" in h or "lifts" in h for h in bullish)
    assert any("probe" in h or "downgrade" in h or "falls" in h or "fears" in h for h in bearish)


def test_planted_news_is_published_at_its_minute() -> None:
    ev = PlantedEvent(
        symbol="NVDA", session=0, minute=45, headline="NVDA beats estimates, raises guidance", tone=0.9
    )
    items = [n for n in _news(planted=[ev]) if n.item.source == PLANTED_SOURCE]
    assert len(items) == 1
    assert items[0].item.ts == datetime.fromtimestamp(OPEN + 45 * 60, UTC)
    assert items[0].tone == 0.9 and items[0].item.tickers == ("NVDA",)


def test_drift_starts_after_publication_and_follows_tone() -> None:
    cfg = NewsConfig()
    ev = PlantedEvent(symbol="NVDA", session=0, minute=45, headline="x", tone=0.5)
    news = [n for n in _news(planted=[ev]) if n.item.source == PLANTED_SOURCE]
    drift = news_drift(news, ROWS, len(PROFILES), 390, cfg)
    row = drift[ROWS["NVDA"]]
    assert np.all(row[:46] == 0.0)  # the bar of the publication minute is not moved
    assert abs(row.sum() - 0.5 * cfg.drift_per_tone) < 1e-12
    assert np.all(row[106:] == 0.0)
    assert np.count_nonzero(drift) == 60
