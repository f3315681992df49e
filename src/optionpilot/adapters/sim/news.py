"""A simulated news stream: template headlines tied to tickers, with a weak, honest link to later drift.

Each item has a hidden tone in [-1, 1]; the engine only sees the headline. Tone adds a small drift to
the next `drift_minutes` bars after the minute it is published in, so news never moves a bar that
completed before it was visible. Most items are neutral and move nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from numpy.typing import NDArray

from optionpilot.adapters.sim.market_config import NewsConfig, PlantedEvent, UnderlyingProfile
from optionpilot.adapters.sim.paths import news_stream
from optionpilot.domain.instruments import AssetClass
from optionpilot.domain.market import NewsItem

F64 = NDArray[np.float64]
SOURCE = "simwire"
PLANTED_SOURCE = "simwire-planted"

_BROKERS = ("Morgan Stanley", "Goldman Sachs", "JPMorgan", "Barclays", "UBS", "Jefferies", "Citi")

_COMPANY = {
    "bullish": (
        "{sym} beats estimates, raises guidance",
        "{sym} shares jump after {broker} upgrades to buy",
        "{sym} announces ${n} billion share buyback",
        "{sym} wins major government contract",
        "{sym} reports record quarterly revenue",
        "{broker} raises {sym} price target, citing strong demand",
    ),
    "bearish": (
        "Regulators open probe into {sym}",
        "{sym} misses estimates, cuts full-year outlook",
        "{sym} downgraded to sell at {broker}",
        "{sym} shares slide as CFO resigns unexpectedly",
        "{sym} recalls products over safety concerns",
        "{sym} warns of weaker demand, shares fall",
    ),
    "neutral": (
        "{sym} to present at {broker} technology conference",
        "{sym} schedules quarterly earnings call",
        "{sym} files quarterly report with the SEC",
        "{sym} names new independent director to its board",
        "{sym} sets date for annual shareholder meeting",
        "What to watch in {sym} options this week",
    ),
}

_MARKET = {
    "bullish": (
        "Stocks rally as inflation cools; {sym} climbs",
        "{sym} gains as the central bank signals rate cuts",
        "Strong jobs data lifts {sym}",
        "Investors pour money into {sym} after upbeat earnings season",
    ),
    "bearish": (
        "{sym} falls as bond yields surge",
        "Recession fears weigh on {sym}",
        "{sym} drops after hotter-than-expected inflation data",
        "Geopolitical tensions hit {sym}",
    ),
    "neutral": (
        "{sym} flat ahead of central bank minutes",
        "Traders await jobs report; {sym} little changed",
        "{sym} options volume in line with average",
        "Markets mixed as {sym} holds steady",
    ),
}


@dataclass(frozen=True, slots=True)
class SimNews:
    item: NewsItem
    tone: float
    minute: int  # the minute from the open it was published in; negative before the open


def _headline(rng: np.random.Generator, profile: UnderlyingProfile, mood: str) -> str:
    book = _COMPANY if profile.asset_class is AssetClass.EQUITY else _MARKET
    templates = book[mood]
    text = templates[int(rng.integers(len(templates)))]
    broker = _BROKERS[int(rng.integers(len(_BROKERS)))]
    return text.format(sym=profile.symbol, broker=broker, n=int(rng.integers(2, 40)))


def session_news(
    profiles: tuple[UnderlyingProfile, ...],
    cfg: NewsConfig,
    seed: int,
    day: date,
    open_s: int,
    minutes: int,
    planted: list[PlantedEvent],
) -> list[SimNews]:
    """The news of one session (including its pre-open window), sorted by time."""
    out: list[SimNews] = []
    for p in profiles:
        rng = news_stream(seed, p.symbol, day.toordinal())
        for n in range(int(rng.poisson(p.news_per_session))):
            minute = int(rng.integers(-cfg.pre_open_minutes, minutes))
            second = int(rng.integers(0, 60))
            draw = float(rng.random())
            if draw < cfg.neutral_share:
                mood, tone = "neutral", float(rng.uniform(-0.1, 0.1))
            elif draw < cfg.neutral_share + 0.5 * (1.0 - cfg.neutral_share):
                mood, tone = "bullish", float(rng.uniform(0.3, 1.0))
            else:
                mood, tone = "bearish", float(rng.uniform(-1.0, -0.3))
            ts = datetime.fromtimestamp(open_s + minute * 60 + second, UTC)
            item = NewsItem(
                id=f"sim-{p.symbol}-{day:%Y%m%d}-{n}",
                ts=ts,
                headline=_headline(rng, p, mood),
                source=SOURCE,
                tickers=(p.symbol,),
            )
            out.append(SimNews(item, tone, minute))
    for ev in planted:
        if ev.headline is None:
            continue
        item = NewsItem(
            id=f"planted-{ev.symbol}-{day:%Y%m%d}-{ev.minute}",
            ts=datetime.fromtimestamp(open_s + ev.minute * 60, UTC),
            headline=ev.headline,
            source=PLANTED_SOURCE,
            tickers=(ev.symbol,),
        )
        out.append(SimNews(item, ev.tone, ev.minute))
    out.sort(key=lambda s: (s.item.ts, s.item.id))
    return out


def news_drift(news: list[SimNews], rows: dict[str, int], symbols: int, minutes: int, cfg: NewsConfig) -> F64:
    """Log drift per (symbol, minute): tone * drift_per_tone spread over the bars after publication."""
    drift = np.zeros((symbols, minutes))
    per_minute = cfg.drift_per_tone / cfg.drift_minutes
    for n in news:
        first = max(n.minute + 1, 0)
        last = min(n.minute + 1 + cfg.drift_minutes, minutes)
        if first < last and n.tone != 0.0:
            for ticker in n.item.tickers:
                drift[rows[ticker], first:last] += n.tone * per_minute
    return drift
