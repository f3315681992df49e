"""Underlying paths: stochastic log-volatility with jumps, daily history and 1-minute sessions.

Every symbol draws from its own random stream keyed by (seed, symbol, purpose, session), so a
symbol's path does not depend on which other symbols are simulated or in what order.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optionpilot.adapters.sim.market_config import PathConfig, UnderlyingProfile

F64 = NDArray[np.float64]
TRADING_DAYS = 252

# Stream purposes, part of each random stream's key.
_DAILY, _SESSION, _NEWS = 1, 2, 3


def symbol_key(symbol: str) -> int:
    return zlib.crc32(symbol.encode())


def stream(seed: int, symbol: str, purpose: int, index: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, symbol_key(symbol), purpose, index]))


def news_stream(seed: int, symbol: str, day_key: int) -> np.random.Generator:
    return stream(seed, symbol, _NEWS, day_key)


def round_to(x: F64, tick: float | F64) -> F64:
    """Round to the tick; the second rounding drops float noise such as 168.20000000000002."""
    return np.asarray(np.round(np.round(x / tick) * tick, 9), dtype=np.float64)


def u_shape(minutes: int, open_boost: float, close_boost: float, decay: float) -> F64:
    """An intraday profile with mean 1: high at the open, low at midday, rising into the close."""
    x = (np.arange(minutes, dtype=np.float64) + 0.5) / max(minutes, 1)
    w = 1.0 + open_boost * np.exp(-x / decay) + close_boost * np.exp(-(1.0 - x) / decay)
    return np.asarray(w / w.mean(), dtype=np.float64)


def log_vol_level(profile: UnderlyingProfile) -> float:
    """The OU mean of log-volatility that makes the average volatility about `base_vol`."""
    stationary_var = profile.vol_of_vol**2 / (2.0 * profile.vol_mean_reversion)
    return float(np.log(profile.base_vol) - 0.5 * stationary_var)


def ou_path(y0: F64, level: F64, phi: F64, shocks: F64) -> F64:
    """y_t = level + phi (y_{t-1} - level) + shock_t for t = 1..n, rows independent (closed form).

    Written as a discounted cumulative sum so a whole session is one vectorized step; phi**-n stays
    small because phi is close to 1 over the horizons used (a session of minutes, a year of days).
    """
    n = shocks.shape[-1]
    t = np.arange(1, n + 1, dtype=np.float64)
    powers = phi[:, None] ** t[None, :]
    acc = np.cumsum(shocks / powers, axis=-1)
    return np.asarray(level[:, None] + powers * ((y0 - level)[:, None] + acc), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class DailyPath:
    """One symbol's daily bars before the minute sessions; `sigma` is the model volatility at each close."""

    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    sigma: F64
    end_log_vol: float


def daily_path(profile: UnderlyingProfile, cfg: PathConfig, seed: int, days: int) -> DailyPath:
    """`days` daily bars whose last close is `profile.spot`, anchored backwards from it."""
    rng = stream(seed, profile.symbol, _DAILY)
    z = rng.standard_normal((7, max(days, 1)))[:, :days]
    jumps_u = rng.random(max(days, 1))[:days]
    dt = 1.0 / TRADING_DAYS
    kappa, xi, rho = profile.vol_mean_reversion, profile.vol_of_vol, profile.spot_vol_correlation
    level = log_vol_level(profile)
    jump = (jumps_u < profile.jump_intensity * dt) * (profile.jump_mean + profile.jump_std * z[3])
    eps_v = rho * z[1] + np.sqrt(1.0 - rho * rho) * z[2]
    shocks = xi * np.sqrt(dt) * eps_v + profile.jump_vol_kick * (jump != 0)
    y0 = np.array([level])
    y = ou_path(y0, np.array([level]), np.array([np.exp(-kappa * dt)]), shocks[None, :])[0]
    sigma_prev = np.exp(np.concatenate([y0, y[:-1]]))
    on = cfg.overnight_variance_share
    gap = sigma_prev * np.sqrt(on * dt) * z[0]
    intraday = (
        (profile.drift - 0.5 * sigma_prev**2) * dt + sigma_prev * np.sqrt((1.0 - on) * dt) * z[1] + jump
    )
    total = np.cumsum(gap + intraday)
    log_close = np.log(profile.spot) + total - (total[-1] if days else 0.0)
    close = np.exp(log_close)
    open_ = close / np.exp(intraday)
    day_sd = sigma_prev * np.sqrt(dt)
    high = np.maximum(open_, close) * np.exp(cfg.high_low_scale * day_sd * np.abs(z[4]))
    low = np.minimum(open_, close) * np.exp(-cfg.high_low_scale * day_sd * np.abs(z[5]))
    move = np.abs(gap + intraday) / np.maximum(day_sd, 1e-12)
    volume = np.round(
        profile.daily_volume
        * np.exp(cfg.volume_noise * z[6] - 0.5 * cfg.volume_noise**2)
        * (1.0 + cfg.volume_move_sensitivity * np.maximum(move - 1.0, 0.0))
    )
    tick = float(profile.tick)
    return DailyPath(
        open=round_to(open_, tick),
        high=round_to(high, tick),
        low=round_to(low, tick),
        close=round_to(close, tick),
        volume=np.asarray(volume, dtype=np.float64),
        sigma=np.asarray(np.exp(y), dtype=np.float64),
        end_log_vol=float(y[-1]) if days else level,
    )


@dataclass(frozen=True, slots=True)
class SessionEffects:
    """Per-minute additions for one session, all shaped (symbols, minutes)."""

    drift: F64  # log return added to each minute (news and planted drift)
    jump: F64  # log jump added at a minute (planted)
    volume_multiple: F64  # planted volume multiples (volatility unchanged)
    gap: F64  # log move added to the overnight gap, shaped (symbols,) (scenarios)
    vol_shock: F64  # shocks added to the log-volatility, which carry over and revert (scenarios)

    @staticmethod
    def none(symbols: int, minutes: int) -> SessionEffects:
        return SessionEffects(
            drift=np.zeros((symbols, minutes)),
            jump=np.zeros((symbols, minutes)),
            volume_multiple=np.ones((symbols, minutes)),
            gap=np.zeros(symbols),
            vol_shock=np.zeros((symbols, minutes)),
        )


@dataclass(frozen=True, slots=True)
class SessionPaths:
    """One session of minute bars for every symbol, rows in profile order; `sigma` at each bar's end."""

    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64
    sigma: F64
    end_log_vol: F64
    cum_volume_share: F64  # volume so far over the typical daily volume, at each bar's end


def session_paths(
    profiles: tuple[UnderlyingProfile, ...],
    cfg: PathConfig,
    seed: int,
    day_key: int,
    minutes: int,
    regular_minutes: int,
    prev_close: F64,
    prev_log_vol: F64,
    effects: SessionEffects,
) -> SessionPaths:
    n, m = len(profiles), minutes
    draws = [stream(seed, p.symbol, _SESSION, day_key) for p in profiles]
    z = np.stack([g.standard_normal((7, m)) for g in draws], axis=1)  # (7, n, m)
    u = np.stack([g.random((2, m)) for g in draws], axis=1)
    gap_z = np.array([g.standard_normal() for g in draws])
    surge = np.ones((n, m))
    for row, g in enumerate(draws):
        for _ in range(int(g.poisson(profiles[row].surges_per_session))):
            start = int(g.integers(0, m))
            length = int(
                g.integers(cfg.surge_min_minutes, max(cfg.surge_max_minutes, cfg.surge_min_minutes) + 1)
            )
            multiple = cfg.surge_multiple * float(np.exp(cfg.surge_dispersion * g.standard_normal()))
            surge[row, start : start + length] *= max(multiple, 1.0)

    col = np.array
    kappa = col([p.vol_mean_reversion for p in profiles])
    xi = col([p.vol_of_vol for p in profiles])
    rho = col([p.spot_vol_correlation for p in profiles])
    level = col([log_vol_level(p) for p in profiles])
    lam = col([p.jump_intensity for p in profiles])
    jmean = col([p.jump_mean for p in profiles])
    jstd = col([p.jump_std for p in profiles])
    kick = col([p.jump_vol_kick for p in profiles])
    mu = col([p.drift for p in profiles])
    ticks = col([float(p.tick) for p in profiles])
    daily_volume = col([p.daily_volume for p in profiles])

    on = cfg.overnight_variance_share
    day = 1.0 / TRADING_DAYS
    dt = day / regular_minutes  # trading time per minute, for mean reversion and jumps
    dvar = (1.0 - on) * dt  # share of the day's variance per minute

    # Overnight: one OU step of the vol and a gap on the close.
    y_open = level + np.exp(-kappa * on * day) * (prev_log_vol - level) + xi * np.sqrt(on * day) * z[6, :, 0]
    sigma_open = np.exp(prev_log_vol)
    open0 = prev_close * np.exp(
        sigma_open * np.sqrt(on * day) * gap_z - 0.5 * sigma_open**2 * on * day + effects.gap
    )

    jump = (u[0] < (lam * dt)[:, None]) * (jmean[:, None] + jstd[:, None] * z[3])
    eps_v = rho[:, None] * z[0] + np.sqrt(1.0 - rho * rho)[:, None] * z[1]
    shocks = xi[:, None] * np.sqrt(dt) * eps_v + kick[:, None] * (jump != 0) + effects.vol_shock
    y = ou_path(y_open, level, np.exp(-kappa * dt), shocks)
    sigma_prev = np.exp(np.concatenate([y_open[:, None], y[:, :-1]], axis=1))

    season = u_shape(m, cfg.variance_open_boost, cfg.variance_close_boost, cfg.shape_decay)
    vol_factor = surge**cfg.surge_vol_exponent
    sd = sigma_prev * np.sqrt(dvar * season)[None, :] * vol_factor
    ret = (mu[:, None] * dt - 0.5 * sd * sd) + sd * z[0] + jump + effects.drift + effects.jump
    log_close = np.log(open0)[:, None] + np.cumsum(ret, axis=1)
    close = np.exp(log_close)
    open_ = np.concatenate([open0[:, None], close[:, :-1]], axis=1)
    high = np.maximum(open_, close) * np.exp(cfg.high_low_scale * sd * np.abs(z[4]))
    low = np.minimum(open_, close) * np.exp(-cfg.high_low_scale * sd * np.abs(z[2]))

    shape = u_shape(m, cfg.volume_open_boost, cfg.volume_close_boost, cfg.shape_decay) * (m / regular_minutes)
    noise = np.exp(cfg.volume_noise * z[5] - 0.5 * cfg.volume_noise**2)
    # Scripted effects leave volume to their own multiple, so a planted surge is exactly as large as asked.
    move = np.abs(ret - effects.drift - effects.jump) / np.maximum(sd, 1e-12)
    typical = daily_volume[:, None] / m * shape[None, :]
    volume = np.round(
        typical
        * noise
        * surge
        * effects.volume_multiple
        * (1.0 + cfg.volume_move_sensitivity * np.maximum(move - 1.0, 0.0))
    )
    volume = np.maximum(volume, 1.0)
    t = ticks[:, None]
    return SessionPaths(
        open=round_to(open_, t),
        high=round_to(high, t),
        low=round_to(low, t),
        close=round_to(close, t),
        volume=volume,
        sigma=np.exp(y),
        end_log_vol=y[:, -1].copy(),
        cum_volume_share=np.cumsum(volume, axis=1) / daily_volume[:, None],
    )
