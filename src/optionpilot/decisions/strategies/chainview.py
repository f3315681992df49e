"""A chain made ready for enumeration: per-row IV and Greeks, liquid legs, strike ladders per expiry."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from optionpilot.core.errors import DataError
from optionpilot.decisions.strategies.config import ScanConfig
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.recommendations import Decision
from optionpilot.pricing import Greeks, bs_greeks, quote_implied_vols

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Ladder:
    """The liquid strikes of one right in one expiry, ascending, with their chain rows."""

    strikes: F64
    rows: I64

    def __len__(self) -> int:
        return int(self.strikes.shape[0])

    def nearest(self, target: F64) -> tuple[I64, F64, B]:
        """Nearest listed liquid strike to each target: its row, its strike, and whether it is exact."""
        t = np.asarray(target, dtype=np.float64)
        if len(self) == 0:
            raise DataError("nearest strike asked of an empty ladder")
        hi = np.clip(np.searchsorted(self.strikes, t), 0, len(self) - 1)
        lo = np.clip(hi - 1, 0, len(self) - 1)
        pick = np.where(np.abs(self.strikes[lo] - t) <= np.abs(self.strikes[hi] - t), lo, hi)
        k = self.strikes[pick]
        exact = np.abs(k - t) <= 1e-9 * np.maximum(1.0, np.abs(t))
        return self.rows[pick], k, exact


@dataclass(frozen=True, slots=True)
class ExpirySlice:
    expiry: date
    dte: int
    years: float
    atm_iv: float  # mean IV of the call and put nearest the money: the sigma of POP and EV
    atm_strike: float
    step: float  # the usual strike spacing near the money
    low: float  # anchor strikes lie within [low, high]
    high: float
    calls: Ladder
    puts: Ladder
    max_anchors: int = 25

    def ladder(self, is_call: bool) -> Ladder:
        return self.calls if is_call else self.puts

    def anchors(self, is_call: bool) -> tuple[I64, F64]:
        lad = self.ladder(is_call)
        m = np.flatnonzero((lad.strikes >= self.low) & (lad.strikes <= self.high))
        if m.size > self.max_anchors:
            near = np.argsort(np.abs(lad.strikes[m] - self.atm_strike), kind="stable")[: self.max_anchors]
            m = np.sort(m[near])
        return lad.rows[m], lad.strikes[m]


@dataclass(frozen=True, slots=True)
class PreparedChain:
    chain: ChainSnapshot
    rate: float
    dividend_yield: float
    years: F64  # per row, time to expiry
    iv: F64  # per row, NaN where none
    greeks: Greeks  # per row, per share
    spread_pct: F64
    usable: B
    expiries: tuple[ExpirySlice, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def spot(self) -> float:
        return self.chain.spot

    @property
    def multiplier(self) -> int:
        return self.chain.underlying.option_multiplier

    @property
    def symbol(self) -> str:
        return self.chain.underlying.symbol

    def slice_for(self, expiry: date) -> ExpirySlice | None:
        return next((e for e in self.expiries if e.expiry == expiry), None)


def _count(skipped: dict[str, int], reason: str, mask: B) -> None:
    n = int(mask.sum())
    if n:
        skipped[reason] = skipped.get(reason, 0) + n


def _fill_from_sibling(chain: ChainSnapshot, iv: F64) -> F64:
    """A strike whose own quote gives no IV (deep in the money, say) borrows the other right's IV."""
    key = chain.expiry.astype("datetime64[D]").astype(np.int64) * 1_000_003 + np.round(chain.strike * 100)
    order = np.lexsort((chain.is_call, key))
    k, v = key[order], iv[order]
    out = v.copy()
    same_next = np.zeros(k.shape[0], dtype=bool)
    same_next[:-1] = k[:-1] == k[1:]
    nxt = np.flatnonzero(same_next)
    a, b = nxt, nxt + 1
    out[a] = np.where(np.isnan(v[a]), v[b], v[a])
    out[b] = np.where(np.isnan(v[b]), v[a], v[b])
    filled = np.empty_like(iv)
    filled[order] = out
    return filled


def prepare_chain(
    chain: ChainSnapshot,
    config: ScanConfig | None = None,
    *,
    rate: float | None = None,
    dividend_yield: float | None = None,
) -> PreparedChain:
    """IV (from the mid) and Greeks per row, and which rows may be legs, counting the others by reason."""
    cfg = config or ScanConfig()
    where = f"chain {chain.underlying.symbol} at {chain.ts.isoformat()}"
    if not (math.isfinite(chain.spot) and chain.spot > 0):
        raise DataError(f"{where}: spot {chain.spot} is not a positive price")
    r = cfg.risk_free_rate if rate is None else rate
    q = cfg.dividend_yield if dividend_yield is None else dividend_yield
    n = len(chain)
    today = np.datetime64(chain.ts.date(), "D")
    dte = (chain.expiry.astype("datetime64[D]") - today).astype(np.int64)
    years = np.maximum(dte, 0).astype(np.float64) / cfg.days_per_year
    bid = np.nan_to_num(np.asarray(chain.bid, dtype=np.float64), nan=0.0)
    ask = np.nan_to_num(np.asarray(chain.ask, dtype=np.float64), nan=0.0)
    strike = np.asarray(chain.strike, dtype=np.float64)
    skipped: dict[str, int] = {}
    g = cfg.grid
    in_window = (dte >= g.min_dte) & (dte <= max(g.max_dte, g.calendar_max_dte)) & (strike > 0)
    _count(skipped, "expiry outside the DTE window or bad strike", ~in_window)
    two_sided = in_window & (bid > 0) & (ask > 0)
    _count(skipped, "no two-sided quote", in_window & ~two_sided)
    crossed = two_sided & (bid > ask)
    _count(skipped, "crossed quote", crossed)
    ok = two_sided & ~crossed
    mid = np.where(ok, 0.5 * (bid + ask), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.where(ok, (ask - bid) / mid, np.inf)
    liq = cfg.liquidity
    wide = ok & ((spread > liq.max_spread_pct) | (bid < liq.min_bid))
    _count(skipped, f"spread above {liq.max_spread_pct:.0%} of mid or bid too low", wide)
    ok &= ~wide
    thin = ok & (np.asarray(chain.open_interest) < liq.min_open_interest)
    _count(skipped, f"open interest below {liq.min_open_interest}", thin)
    ok &= ~thin
    if n:
        qiv = quote_implied_vols(
            bid, ask, chain.spot, np.where(strike > 0, strike, 1.0), years, r, q, chain.is_call
        )
        iv = _fill_from_sibling(chain, np.where(in_window, qiv.mid, np.nan))
    else:
        iv = np.zeros(0)
    no_iv = ok & ~np.isfinite(iv)
    _count(skipped, "no implied volatility from the quote or its sibling", no_iv)
    ok &= ~no_iv
    greeks = bs_greeks(chain.spot, np.where(strike > 0, strike, 1.0), years, r, q, iv, chain.is_call)
    expiries = tuple(_slices(chain, ok, iv, strike, dte, years, cfg))
    return PreparedChain(chain, r, q, years, iv, greeks, np.asarray(spread), ok, expiries, skipped)


def _slices(
    chain: ChainSnapshot, ok: B, iv: F64, strike: F64, dte: I64, years: F64, cfg: ScanConfig
) -> list[ExpirySlice]:
    out: list[ExpirySlice] = []
    spot = chain.spot
    for exp in np.unique(chain.expiry[ok]):
        m = ok & (chain.expiry == exp)
        rows = np.flatnonzero(m)
        ks = strike[rows]
        uniq = np.unique(ks)
        atm = float(uniq[np.argmin(np.abs(uniq - spot))])
        at = rows[ks == atm]
        sigma = float(np.mean(iv[at]))
        near = uniq[np.abs(uniq / spot - 1.0) <= 0.10]
        steps = np.diff(near if near.size >= 3 else uniq)
        step = float(np.median(steps)) if steps.size else max(atm * 0.01, 1e-6)
        t = float(years[rows[0]])
        half = max(
            cfg.grid.strike_range_sigmas * sigma * math.sqrt(max(t, 1e-6)), cfg.grid.min_strike_range_pct
        )
        calls = rows[chain.is_call[rows]]
        puts = rows[~chain.is_call[rows]]
        oc, op = np.argsort(strike[calls], kind="stable"), np.argsort(strike[puts], kind="stable")
        out.append(
            ExpirySlice(
                expiry=exp.astype("datetime64[D]").astype(object),
                dte=int(dte[rows[0]]),
                years=t,
                atm_iv=sigma,
                atm_strike=atm,
                step=step,
                low=spot * math.exp(-half),
                high=spot * math.exp(half),
                calls=Ladder(strike[calls][oc], calls[oc].astype(np.int64)),
                puts=Ladder(strike[puts][op], puts[op].astype(np.int64)),
                max_anchors=cfg.grid.max_anchors,
            )
        )
    return out


def select_strike(prepared: PreparedChain, expiry: date, is_call: bool, target: float) -> Decision[int]:
    """The row of the listed, liquid strike nearest `target`, saying so when it is not `target` itself."""
    sl = prepared.slice_for(expiry)
    right = "call" if is_call else "put"
    if sl is None or len(sl.ladder(is_call)) == 0:
        return Decision.no(
            f"{prepared.symbol} {expiry}: no liquid {right} in this expiry", "strategies.strike.none"
        )
    rows, ks, exact = sl.ladder(is_call).nearest(np.array([target]))
    row, k = int(rows[0]), float(ks[0])
    if bool(exact[0]):
        return Decision.yes(row, f"{right} {k:g} listed and liquid", "strategies.strike.exact")
    return Decision.yes(
        row,
        f"{right} {target:g} not listed or not liquid: nearest liquid strike {k:g} ({k - target:+g})",
        "strategies.strike.fallback",
        asked=target,
        chosen=k,
    )
