"""The scan stage: per underlying, read the market once, then analyse, build, score and rank (all pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.decisions.strategies.analysis import VixRegime, market_view, vix_regime
from optionpilot.decisions.strategies.builder import ChainScan, scan_chain
from optionpilot.decisions.strategies.scoring import Ranking, RiskTolerance, rank
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.ports.market_data import MarketData
from optionpilot.signals.iv import IvConfig, iv_percentile

ATM_TENOR_DAYS = 30


@dataclass(frozen=True, slots=True)
class ScanResult:
    day: date
    rankings: dict[str, Ranking]
    atm_iv: dict[str, float]  # today's ~30-day ATM IV per symbol, for the IV history
    skipped: dict[str, str] = field(default_factory=dict)  # symbol -> why it was not scanned
    evaluated: int = 0
    vix: float | None = None  # the volatility index at the last close, when the market has one
    vix_regime: VixRegime = VixRegime.NORMAL


def atm_iv_of(scan: ChainScan, tenor_days: int = ATM_TENOR_DAYS) -> float:
    """The ATM IV of the expiry nearest `tenor_days` (NaN when the chain had no usable expiry)."""
    slices = scan.prepared.expiries
    if not slices:
        return math.nan
    best = min(slices, key=lambda s: (abs(s.dte - tenor_days), s.dte))
    return float(best.atm_iv)


def scan_market(
    market: MarketData,
    clock: Clock,
    symbols: Sequence[str],
    config: StrategiesConfig,
    *,
    risk: RiskTolerance | None = None,
    iv_history: Mapping[str, np.ndarray] | None = None,
    vix: float | None = None,
) -> ScanResult:
    """Scan each symbol at the market's clock. A symbol whose data fails is skipped with the reason.

    `iv_history` (daily ATM IV before today, oldest first) comes from the database when the caller has it;
    otherwise the market's own ATM IV history is used.
    """
    tolerance = risk or config.risk
    desk = config.desk
    now_day = market.calendar.local_date(clock.now())
    rankings: dict[str, Ranking] = {}
    atm: dict[str, float] = {}
    skipped: dict[str, str] = {}
    evaluated = 0
    ivcfg = IvConfig(lookback_sessions=desk.iv_lookback_days)
    if vix is None:
        # Today's close is not known yet: the regime is the last closed session's.
        vix = market.volatility_index(market.calendar.previous_session(now_day))
    for symbol in symbols:
        try:
            chain = market.chain(symbol, min_dte=config.scan.grid.min_dte, max_dte=desk.chain_max_dte)
            if len(chain) == 0:
                skipped[symbol] = "no option chain at the clock"
                continue
            closes = market.daily_history(symbol, now_day, desk.history_days).close
            rate = market.risk_free_rate(now_day, ATM_TENOR_DAYS)
            scan = scan_chain(chain, config.scan, rate=rate, dividend_yield=market.dividend_yield(symbol))
        except (DataError, LookAheadError) as exc:
            skipped[symbol] = str(exc)
            continue
        current = atm_iv_of(scan)
        hist = iv_history.get(symbol) if iv_history is not None else None
        if hist is None or hist.size == 0:
            hist = market.atm_iv_history(symbol, now_day, desk.iv_lookback_days)
        pct = None
        if math.isfinite(current) and current > 0:
            atm[symbol] = current
            p = iv_percentile(current, hist, ivcfg)
            pct = None if p is None else 100.0 * p
        view = market_view(chain, closes, iv_percentile=pct, vix=vix, config=config.analysis)
        rankings[symbol] = rank(scan, view, tolerance, config.scoring)
        evaluated += scan.n_candidates
    regime = vix_regime(vix, config.analysis)
    return ScanResult(now_day, rankings, atm, skipped, evaluated, vix, regime)
