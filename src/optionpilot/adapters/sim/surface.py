"""The implied-volatility surface: an ATM term curve that moves with the underlying's volatility, plus skew.

ATM(T) = premium * (base + (sigma_now - base) * (1 - e^(-kT)) / (kT)): short expiries follow the current
volatility, long ones revert to the profile's base. Across strikes, with z the log-moneyness to the
forward in ATM standard deviations (clipped), IV = ATM * (1 + skew z + smile z^2), floored.
The scalar functions mirror the vectorized ones formula for formula; quotes rely on that.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from optionpilot.adapters.sim.market_config import SurfaceConfig, UnderlyingProfile

F64 = NDArray[np.float64]
YEAR_MINUTE = 1.0 / (365.0 * 24 * 60)  # floor on time to expiry in moneyness scaling
ATM_TENOR_YEARS = 30.0 / 365.0


def atm_vols(sigma_now: float | F64, base_vol: float, T: F64 | float, cfg: SurfaceConfig) -> F64:
    x = cfg.term_reversion * np.asarray(T, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(x > 1e-12, -np.expm1(-x) / x, 1.0)
    return np.asarray(cfg.iv_premium * (base_vol + (sigma_now - base_vol) * weight), dtype=np.float64)


def atm_vol_one(sigma_now: float, base_vol: float, T: float, cfg: SurfaceConfig) -> float:
    x = cfg.term_reversion * T
    weight = -math.expm1(-x) / x if x > 1e-12 else 1.0
    return cfg.iv_premium * (base_vol + (sigma_now - base_vol) * weight)


def implied_vols(
    log_moneyness: F64, T: F64, sigma_now: float, profile: UnderlyingProfile, cfg: SurfaceConfig
) -> tuple[F64, F64]:
    """IV and clipped standardized moneyness z for each row."""
    atm = atm_vols(sigma_now, profile.base_vol, T, cfg)
    z = np.clip(log_moneyness / (atm * np.sqrt(np.maximum(T, YEAR_MINUTE))), -cfg.z_clip, cfg.z_clip)
    iv = np.maximum(atm * (1.0 + profile.skew * z + profile.smile * z * z), cfg.iv_floor)
    return np.asarray(iv, dtype=np.float64), np.asarray(z, dtype=np.float64)


def implied_vol_one(
    log_moneyness: float, T: float, sigma_now: float, profile: UnderlyingProfile, cfg: SurfaceConfig
) -> tuple[float, float]:
    atm = atm_vol_one(sigma_now, profile.base_vol, T, cfg)
    z = log_moneyness / (atm * math.sqrt(max(T, YEAR_MINUTE)))
    z = min(max(z, -cfg.z_clip), cfg.z_clip)
    iv = max(atm * (1.0 + profile.skew * z + profile.smile * z * z), cfg.iv_floor)
    return iv, z


def atm_iv_30d(sigma: F64, profile: UnderlyingProfile, cfg: SurfaceConfig) -> F64:
    """The 30-day ATM implied volatility for each model volatility in `sigma` (IV history)."""
    return atm_vols(sigma, profile.base_vol, ATM_TENOR_YEARS, cfg)
