"""What a stress scenario does to the simulator: calmer profiles, a session's moves, a halt's frozen bars."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from optionpilot.adapters.sim.market_config import SimMarketConfig
from optionpilot.adapters.sim.paths import SessionEffects, SessionPaths
from optionpilot.adapters.sim.scenarios import CalmScenario, CrashScenario, GapScenario, HaltScenario
from optionpilot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class HaltWindow:
    """Bars [first, last) of minute session `session` (warm-up included) trade nothing on `rows`."""

    session: int
    first: int
    last: int
    rows: frozenset[int]

    def covers(self, session: int, bar: int, row: int) -> bool:
        return session == self.session and self.first <= bar < self.last and row in self.rows


def scenario_config(config: SimMarketConfig) -> SimMarketConfig:
    """The config the simulator runs on: a calm scenario quietens the profiles it names, history included."""
    sc = config.scenario
    if not isinstance(sc, CalmScenario):
        return config
    hit = set(sc.symbols) or {p.symbol for p in config.profiles}
    profiles = tuple(
        p.model_copy(
            update={
                "base_vol": p.base_vol * sc.vol_scale,
                "vol_of_vol": p.vol_of_vol * sc.vol_scale,
                "jump_intensity": 0.0,
                "surges_per_session": p.surges_per_session * sc.surge_scale,
            }
        )
        if p.symbol in hit
        else p
        for p in config.profiles
    )
    news = config.news.model_copy(update={"drift_per_tone": config.news.drift_per_tone * sc.news_scale})
    return config.model_copy(update={"profiles": profiles, "news": news})


def _rows(symbols: tuple[str, ...], rows: dict[str, int]) -> list[int]:
    return sorted(rows[s] for s in symbols) if symbols else sorted(rows.values())


def add_scenario_effects(
    config: SimMarketConfig, session: int, rows: dict[str, int], effects: SessionEffects
) -> None:
    """Adds a crash's or a gap's moves to `effects` of replayed session `session`."""
    sc = config.scenario
    if isinstance(sc, CrashScenario) and sc.session == session:
        hit = _rows(sc.symbols, rows)
        m = effects.drift.shape[1]
        move = math.log1p(sc.move_pct)
        effects.gap[hit] += sc.open_share * move
        effects.drift[hit, :] += (1.0 - sc.open_share) * move / m
        # Half the volatility spike comes with the open, half builds through the day.
        spike = math.log(sc.vol_multiple)
        effects.vol_shock[hit, 0] += 0.5 * spike
        effects.vol_shock[hit, :] += 0.5 * spike / m
    elif isinstance(sc, GapScenario) and sc.session == session:
        hit = _rows(sc.symbols, rows)
        effects.gap[hit] += math.log1p(sc.gap_pct)
        effects.vol_shock[hit, 0] += math.log(sc.vol_multiple)


def halt_window(
    config: SimMarketConfig, warmup_sessions: int, minutes: list[int], rows: dict[str, int]
) -> HaltWindow | None:
    sc = config.scenario
    if not isinstance(sc, HaltScenario):
        return None
    i = warmup_sessions + sc.session
    if sc.minute >= minutes[i]:
        raise ConfigError(f"scenario halt: minute {sc.minute} is past the close ({minutes[i]} minutes)")
    last = min(sc.minute + sc.duration_minutes, minutes[i])
    return HaltWindow(i, sc.minute, last, frozenset(_rows(sc.symbols, rows)))


def freeze(paths: SessionPaths, halt: HaltWindow, daily_volume: np.ndarray) -> SessionPaths:
    """The session's bars with the halted ones flat at the last traded price and without volume.

    The model price and volatility go on underneath, so the bar that reopens trading jumps to them.
    """
    op, hi, lo, cl, vol = (a.copy() for a in (paths.open, paths.high, paths.low, paths.close, paths.volume))
    a, b = halt.first, halt.last
    for row in halt.rows:
        frozen = cl[row, a - 1] if a > 0 else op[row, 0]
        op[row, a:b] = hi[row, a:b] = lo[row, a:b] = cl[row, a:b] = frozen
        vol[row, a:b] = 0.0
        if b < cl.shape[1]:
            op[row, b] = frozen
            hi[row, b] = max(hi[row, b], frozen, cl[row, b])
            lo[row, b] = min(lo[row, b], frozen, cl[row, b])
    return replace(
        paths,
        open=op,
        high=hi,
        low=lo,
        close=cl,
        volume=vol,
        cum_volume_share=np.cumsum(vol, axis=1) / daily_volume[:, None],
    )
