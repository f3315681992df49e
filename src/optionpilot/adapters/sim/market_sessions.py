"""The simulated market's minute sessions: price paths, news and bars, each made once when first needed.

A session's paths start from the previous session's close and volatility, so sessions are made in
order; the news of a session (and any planted event) moves its drift before its paths are drawn.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

import numpy as np

from optionpilot.adapters.sim.market_config import PlantedEvent, SimMarketConfig
from optionpilot.adapters.sim.news import SimNews, news_drift, session_news
from optionpilot.adapters.sim.paths import SessionEffects, SessionPaths, session_paths
from optionpilot.adapters.sim.scenario_effects import HaltWindow, add_scenario_effects, freeze, halt_window
from optionpilot.core.errors import ConfigError
from optionpilot.domain.market import Bar


class MarketSessions:
    def __init__(
        self,
        config: SimMarketConfig,
        seed: int,
        rows: dict[str, int],
        *,
        days: Sequence[date],
        open_s: Sequence[int],
        minutes: Sequence[int],
        pre_close: np.ndarray,
        pre_log_vol: np.ndarray,
    ) -> None:
        self._cfg = config
        self._profiles = config.profiles
        self._seed = seed
        self._rows = rows
        self._days = days
        self._open_s = open_s
        self._minutes = minutes
        self._regular_minutes = max(minutes)
        self._pre_close = pre_close
        self._pre_log_vol = pre_log_vol
        self._planted: dict[int, list[PlantedEvent]] = {}
        for n, ev in enumerate(config.planted):
            i = config.warmup_sessions + ev.session
            if ev.minute >= minutes[i]:
                raise ConfigError(
                    f"planted[{n}]: minute {ev.minute} is past the close of {days[i]} ({minutes[i]} minutes)"
                )
            self._planted.setdefault(i, []).append(ev)
        self.halt: HaltWindow | None = halt_window(config, config.warmup_sessions, list(minutes), rows)
        self._daily_volume = np.array([p.daily_volume for p in self._profiles])
        self._paths: list[SessionPaths] = []
        self._news: dict[int, list[SimNews]] = {}
        self._tones: dict[str, float] = {}
        self._bars: dict[int, list[list[Bar]]] = {}
        self._starts: dict[int, np.ndarray] = {}

    def paths(self, i: int) -> SessionPaths:
        while len(self._paths) <= i:
            self._paths.append(self._generate(len(self._paths)))
        return self._paths[i]

    def previous_close(self, row: int, day: date) -> float:
        """The close of the session before `day` (before the first, the history's last close)."""
        k = bisect.bisect_left(self._days, day)
        return float(self._pre_close[row]) if k == 0 else float(self.paths(k - 1).close[row, -1])

    def tone(self, news_id: str) -> float | None:
        """The hidden tone of an item of a session made so far."""
        return self._tones.get(news_id)

    def news(self, i: int) -> list[SimNews]:
        news = self._news.get(i)
        if news is None:
            news = session_news(
                self._profiles,
                self._cfg.news,
                self._seed,
                self._days[i],
                self._open_s[i],
                self._minutes[i],
                self._planted.get(i, []),
            )
            self._news[i] = news
            self._tones.update((n.item.id, n.tone) for n in news)
        return news

    def starts(self, i: int) -> np.ndarray:
        """Start times (epoch seconds) of the session's minute bars."""
        starts = self._starts.get(i)
        if starts is None:
            starts = self._open_s[i] + 60 * np.arange(self._minutes[i], dtype=np.int64)
            self._starts[i] = starts
        return starts

    def bars(self, i: int) -> list[list[Bar]]:
        """The session's bars, minute by minute, every symbol in each."""
        bars = self._bars.get(i)
        if bars is None:
            p = self.paths(i)
            cols = [a.tolist() for a in (p.open, p.high, p.low, p.close, p.volume)]
            symbols = [pr.symbol for pr in self._profiles]
            bars = []
            for m in range(self._minutes[i]):
                start = datetime.fromtimestamp(self._open_s[i] + 60 * m, UTC)
                bars.append(
                    [
                        Bar(
                            sym,
                            start,
                            cols[0][r][m],
                            cols[1][r][m],
                            cols[2][r][m],
                            cols[3][r][m],
                            cols[4][r][m],
                        )
                        for r, sym in enumerate(symbols)
                    ]
                )
            self._bars[i] = bars
        return bars

    def _generate(self, i: int) -> SessionPaths:
        n, m = len(self._profiles), self._minutes[i]
        if i == 0:
            prev_close, prev_log_vol = self._pre_close, self._pre_log_vol
        else:
            prev = self._paths[i - 1]
            prev_close, prev_log_vol = prev.close[:, -1], prev.end_log_vol
        effects = SessionEffects.none(n, m)
        effects.drift[:] = news_drift(self.news(i), self._rows, n, m, self._cfg.news)
        for ev in self._planted.get(i, []):
            row, first = self._rows[ev.symbol], ev.minute
            last = min(first + ev.duration_minutes, m)
            effects.volume_multiple[row, first:last] *= ev.volume_multiple
            effects.drift[row, first:last] += math.log1p(ev.drift_pct) / ev.duration_minutes
            effects.jump[row, first] += math.log1p(ev.jump_pct)
        add_scenario_effects(self._cfg, i - self._cfg.warmup_sessions, self._rows, effects)
        paths = session_paths(
            self._profiles,
            self._cfg.paths,
            self._seed,
            self._days[i].toordinal(),
            m,
            self._regular_minutes,
            prev_close,
            prev_log_vol,
            effects,
        )
        if self.halt is not None and self.halt.session == i:
            paths = freeze(paths, self.halt, self._daily_volume)
        return paths
