"""Net premium, payoff (max profit, max loss, breakevens), probability of profit, expected value and Greeks.

All per candidate over whole batches. Single-expiry strategies are exact: the expiry payoff is piecewise
linear with kinks at the strikes, so it is evaluated at the kinks and its slope beyond the last one.
Strategies
with two expiries (calendars, diagonals) are valued at the near expiry, the far legs by Black-Scholes at
their own IV, on a grid of lognormal quantiles.

POP and EV use one lognormal for the underlying: sigma is the ATM IV of the candidate's nearest expiry, the
drift is `ScanConfig.drift` (risk-neutral, rate - dividend yield, unless a view is given). Premiums are
the natural prices (buy at the ask, sell at the bid).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from optionpilot.decisions.strategies.chainview import PreparedChain
from optionpilot.decisions.strategies.config import ScanConfig
from optionpilot.decisions.strategies.legs import CALL, PUT, STOCK, LegArrays, LegBatch, gather
from optionpilot.pricing import bs_price

F64 = NDArray[np.float64]
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ExpiryProfile:
    """Per share of one unit (multiply by the contract multiplier for currency)."""

    max_profit: F64  # inf when unbounded
    max_loss: F64  # >= 0, inf when unbounded
    breakevens: F64  # (N, k), ascending, NaN padded
    pop: F64
    expected_value: F64


@dataclass(frozen=True, slots=True)
class BatchMetrics:
    """Currency amounts are per unit (one of each leg times its ratio, times the multiplier)."""

    debit_natural: F64  # per share: + paid, - received; buy at the ask, sell at the bid
    debit_mid: F64  # per share, at mid prices
    max_profit: F64  # currency, inf when unbounded
    max_loss: F64  # currency, positive, inf when unbounded
    breakevens: F64  # (N, k) underlying prices, NaN padded
    pop: F64
    expected_value: F64  # currency
    delta: F64  # share-equivalents
    gamma: F64  # share-equivalents per 1.00 of the underlying
    vega: F64  # currency per vol point
    theta: F64  # currency per calendar day
    years: F64  # to the nearest expiry
    sigma: F64  # the vol behind POP and EV
    spread_pct: F64  # mean (ask - bid) / mid over the option legs
    two_expiry: B


def drift_of(prep: PreparedChain, cfg: ScanConfig) -> float:
    """The configured view, or the risk-neutral drift when there is none."""
    return prep.rate - prep.dividend_yield if cfg.drift is None else cfg.drift


def _cdf(x: F64, spot: float, T: F64, sigma: F64, drift: float) -> F64:
    """P(S_T < x) under the lognormal; 0 at x = 0, 1 at x = inf."""
    vs = sigma * np.sqrt(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(x / spot) - (drift - 0.5 * sigma * sigma) * T) / vs
    p = ndtr(z)
    return np.asarray(np.where(x <= 0, 0.0, np.where(np.isinf(x), 1.0, p)), dtype=np.float64)


def _intrinsic(x: F64, strike: F64, code: NDArray[np.int8]) -> F64:
    return np.asarray(
        np.where(
            code == CALL, np.maximum(x - strike, 0.0), np.where(code == PUT, np.maximum(strike - x, 0.0), x)
        ),
        dtype=np.float64,
    )


def expiry_profile(
    strike: F64,
    code: NDArray[np.int8],
    qty: F64,
    debit: F64,
    spot: float,
    years: F64,
    sigma: F64,
    drift: float = 0.0,
) -> ExpiryProfile:
    """Exact expiry payoff facts of (N, L) legs sharing one expiry; `debit` per share (+ paid, - received)."""
    n = strike.shape[0]
    k = np.where(code == STOCK, 0.0, strike)
    xs = np.concatenate([np.zeros((n, 1)), np.sort(k, axis=1)], axis=1)  # (N, L+1)
    ys = (qty[:, None, :] * _intrinsic(xs[:, :, None], k[:, None, :], code[:, None, :])).sum(axis=2)
    ys = ys - debit[:, None]
    slope = (qty * (code != PUT)).sum(axis=1)
    max_profit = np.where(slope > 0, np.inf, ys.max(axis=1))
    max_loss = np.where(slope < 0, np.inf, np.maximum(-ys.min(axis=1), 0.0))

    x0, x1, y0, y1 = xs[:, :-1], xs[:, 1:], ys[:, :-1], ys[:, 1:]
    width = x1 - x0
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(y1 != y0, x0 - y0 * width / (y1 - y0), np.nan)
        tail_root = np.where(slope != 0, xs[:, -1] - ys[:, -1] / slope, np.nan)
    crosses = (y0 * y1 < 0) & (width > 0)
    at_kink = (ys[:, 1:] == 0) & (xs[:, 1:] > 0)
    tail_cross = ys[:, -1] * slope < 0
    be = np.concatenate(
        [
            np.where(crosses, root, np.nan),
            np.where(at_kink, xs[:, 1:], np.nan),
            np.where(tail_cross, tail_root, np.nan)[:, None],
        ],
        axis=1,
    )
    be = np.sort(be, axis=1)
    be = be[:, : max(int(np.isfinite(be).sum(axis=1).max(initial=0)), 1)]

    # The profitable part of each linear segment, then of the ray beyond the last kink.
    lo = np.where(y0 > 0, x0, np.where(y1 > 0, root, np.nan))
    hi = np.where(y1 > 0, x1, np.where(y0 > 0, root, np.nan))
    seg_ok = (width > 0) & ((y0 > 0) | (y1 > 0))
    T = years[:, None]
    s = sigma[:, None]
    mass = np.where(
        seg_ok, _cdf(np.nan_to_num(hi), spot, T, s, drift) - _cdf(np.nan_to_num(lo), spot, T, s, drift), 0.0
    )
    yl, xl = ys[:, -1], xs[:, -1]
    t_lo = np.where(yl > 0, xl, tail_root)
    t_hi = np.where(slope >= 0, np.inf, np.where(yl > 0, tail_root, xl))
    tail_ok = (yl > 0) | (slope > 0)
    tail_mass = np.where(
        tail_ok,
        _cdf(np.nan_to_num(t_hi, posinf=np.inf), spot, years, sigma, drift)
        - _cdf(np.nan_to_num(t_lo), spot, years, sigma, drift),
        0.0,
    )
    pop = np.clip(mass.sum(axis=1) + tail_mass, 0.0, 1.0)

    growth = np.exp(drift * years)[:, None]
    kk = np.where(code == STOCK, 1.0, strike)
    tt = np.repeat(years[:, None], strike.shape[1], axis=1)
    ss = np.repeat(sigma[:, None], strike.shape[1], axis=1)
    opt = bs_price(spot, kk, tt, drift, 0.0, ss, code == CALL) * growth
    value = np.where(code == STOCK, spot * growth, opt)
    ev = (qty * value).sum(axis=1) - debit
    return ExpiryProfile(max_profit, max_loss, be, pop, ev)


def _grid_profile(
    legs: LegArrays, qty: F64, debit: F64, prep: PreparedChain, years: F64, sigma: F64, cfg: ScanConfig
) -> ExpiryProfile:
    """Two expiries: P&L at the near one on a grid of lognormal quantiles, the far legs at their own IV."""
    g = cfg.grid_points
    z = np.linspace(-cfg.grid_sigmas, cfg.grid_sigmas, g)
    edges = np.concatenate([[-np.inf], 0.5 * (z[1:] + z[:-1]), [np.inf]])
    w = np.diff(ndtr(edges))
    spot, mu = prep.spot, drift_of(prep, cfg)
    T = years[:, None]
    x = spot * np.exp((mu - 0.5 * sigma[:, None] ** 2) * T + sigma[:, None] * np.sqrt(T) * z[None, :])
    far = np.array([spot * 1e-3, spot * 1e3])
    x = np.concatenate([x, np.broadcast_to(far, (x.shape[0], 2))], axis=1)
    pnl = -np.broadcast_to(debit[:, None], x.shape).copy()
    for j in range(qty.shape[1]):
        tau = legs.years[:, j] - years
        near = (tau <= 1e-12)[:, None]
        kj, cj = legs.strike[:, j : j + 1], legs.code[:, j : j + 1]
        value = _intrinsic(x, kj, cj)
        if not near.all():  # only legs that outlive the near expiry need a model price
            later = bs_price(
                x,
                np.where(cj == STOCK, 1.0, kj),
                np.maximum(tau, 0.0)[:, None],
                prep.rate,
                prep.dividend_yield,
                legs.iv[:, j : j + 1],
                cj == CALL,
            )
            value = np.where(near | (cj == STOCK), value, later)
        pnl += qty[:, j : j + 1] * value
    inner = pnl[:, :g]
    pop = (w[None, :] * (inner > 0)).sum(axis=1)
    ev = (w[None, :] * inner).sum(axis=1)
    a, b = inner[:, :-1], inner[:, 1:]
    xa, xb = x[:, : g - 1], x[:, 1:g]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where((a * b < 0), xa - a * (xb - xa) / (b - a), np.nan)
    be = np.sort(r, axis=1)[:, :4]
    return ExpiryProfile(pnl.max(axis=1), np.maximum(-pnl.min(axis=1), 0.0), be, pop, ev)


def measure(prep: PreparedChain, batch: LegBatch, config: ScanConfig | None = None) -> BatchMetrics:
    cfg = config or ScanConfig()
    legs = gather(prep, batch)
    qty = batch.qty
    m = float(prep.multiplier)
    buy = qty > 0
    debit_nat = (qty * np.where(buy, legs.ask, legs.bid)).sum(axis=1)
    debit_mid = (qty * legs.mid).sum(axis=1)
    option = legs.code != STOCK
    years = np.where(option, legs.years, np.inf).min(axis=1)
    two = (np.where(option, legs.years, years[:, None]) > years[:, None] + 1e-12).any(axis=1)
    slice_years = np.array([e.years for e in prep.expiries])
    slice_iv = np.array([e.atm_iv for e in prep.expiries])
    sigma = slice_iv[np.clip(np.searchsorted(slice_years, years - 1e-12), 0, len(slice_years) - 1)]
    n = len(batch)
    mp, ml, pop, ev = (np.zeros(n) for _ in range(4))
    bes = np.full((n, 1), np.nan)
    parts: list[tuple[B, ExpiryProfile]] = []
    for mask, fn in ((~two, "exact"), (two, "grid")):
        if not mask.any():
            continue
        if fn == "exact":
            prof = expiry_profile(
                legs.strike[mask],
                legs.code[mask],
                qty[mask],
                debit_nat[mask],
                prep.spot,
                years[mask],
                sigma[mask],
                drift_of(prep, cfg),
            )
        else:
            sub = LegArrays(*(getattr(legs, f)[mask] for f in LegArrays.__slots__))
            prof = _grid_profile(sub, qty[mask], debit_nat[mask], prep, years[mask], sigma[mask], cfg)
        parts.append((mask, prof))
    width = max((p.breakevens.shape[1] for _, p in parts), default=1)
    bes = np.full((n, width), np.nan)
    for mask, prof in parts:
        mp[mask], ml[mask], pop[mask], ev[mask] = (
            prof.max_profit,
            prof.max_loss,
            prof.pop,
            prof.expected_value,
        )
        bes[mask, : prof.breakevens.shape[1]] = prof.breakevens
    spread = np.where(option, legs.spread_pct, 0.0).sum(axis=1) / np.maximum(option.sum(axis=1), 1)
    return BatchMetrics(
        debit_natural=debit_nat,
        debit_mid=debit_mid,
        max_profit=mp * m,
        max_loss=ml * m,
        breakevens=bes,
        pop=pop,
        expected_value=ev * m,
        delta=(qty * legs.delta).sum(axis=1) * m,
        gamma=(qty * legs.gamma).sum(axis=1) * m,
        vega=(qty * legs.vega).sum(axis=1) * m / 100.0,
        theta=(qty * legs.theta).sum(axis=1) * m / cfg.days_per_year,
        years=years,
        sigma=sigma,
        spread_pct=spread,
        two_expiry=two,
    )


def monthly_factor(years: F64, days_per_year: float = 365.0) -> F64:
    """Scale from a holding period to 30 days (a 15-day trade counts twice)."""
    return np.asarray(30.0 / np.maximum(years * days_per_year, 1.0), dtype=np.float64)
