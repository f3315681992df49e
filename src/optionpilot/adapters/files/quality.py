"""The data-check report: per imported set, rows, contracts, days and counts of each problem found.

Problems are counted, never fixed: crossed quotes, zero or missing bids, stale quotes (unchanged while
the underlying moved), quotes outside no-arbitrage bounds, duplicates (from the import), gaps (missing
sessions or regular-session minutes), and suspected corporate actions (splits). Flagged rows are
written with their source line so a person can look.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.adapters.files.corporate_actions import SplitConfig, split_gaps
from optionpilot.adapters.files.formats import Kind
from optionpilot.adapters.files.store import BY_DAY, DataStore
from optionpilot.core.calendars import Market, calendar_for


class QualityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stale_underlying_move: float = Field(0.01, gt=0, description="underlying move a live quote must follow")
    stale_min_mid: float = Field(0.50, ge=0, description="only quotes worth at least this are judged stale")
    bound_tolerance: float = Field(0.05, ge=0, description="currency slack on no-arbitrage bounds")
    bound_tolerance_of_spot: float = Field(0.001, ge=0, description="extra slack: unsynchronised spot")
    max_rate: float = Field(0.10, ge=0, description="highest rate assumed for European put bounds")
    gap_years: int = Field(10, ge=1, description="years (to each set's end) checked for missing sessions")
    splits: SplitConfig = Field(default_factory=SplitConfig)


@dataclass
class SetReport:
    source: str
    fmt: str
    kind: str
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Flags:
    rows: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, source: str, lines: np.ndarray, problem: str) -> None:
        self.rows.extend((source, int(x), problem) for x in lines.tolist())


def _f(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=np.float64)


def _us(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _of_source(store: DataStore, kind: Kind, name: str) -> tuple[pa.Table | None, list[str]]:
    """Every stored row of one source file, and the partitions (days or names) it is in."""
    tables, parts = [], []
    if kind in BY_DAY:
        for sym in store.symbols(kind):
            for day in store.days(kind, sym):
                t = store.read(kind, sym, day)
                if t is not None:
                    t = t.filter(pc.equal(t["source"], name))
                    if t.num_rows:
                        tables.append(t)
                        parts.append(day)
    else:
        for part in store.symbols(kind):
            t = store.read(kind, part)
            if t is not None and "source" in t.column_names:
                t = t.filter(pc.equal(t["source"], name))
                if t.num_rows:
                    tables.append(t)
                    parts.append(part)
    return (pa.concat_tables(tables) if tables else None), sorted(set(parts))


def _missing_sessions(market: Market, days: set[date], years: int) -> int:
    if not days:
        return 0
    cal = calendar_for(market)
    hi = max(days)
    lo = max(min(days), hi - timedelta(days=366 * years))
    return sum(1 for s in cal.sessions(lo, hi) if s.day not in days)


def _chain_checks(t: pa.Table, market: Market, cfg: QualityConfig, rep: SetReport, flags: _Flags) -> None:
    src = rep.source
    lines = t["source_line"].to_numpy(zero_copy_only=False)
    bid, ask, strike, spot = _f(t, "bid"), _f(t, "ask"), _f(t, "strike"), _f(t, "underlying_price")
    is_call = pc.equal(t["right"], "C").to_numpy(zero_copy_only=False).astype(bool)
    quote_us, expiry_us = _us(t, "quote_ts"), _us(t, "expiry_ts")
    contract = (
        pc.binary_join_element_wise(
            t["underlying"],
            pc.cast(t["expiry"], pa.string()),
            pc.cast(t["strike"], pa.string()),
            t["right"],
            "|",
        )
        .to_numpy(zero_copy_only=False)
        .astype(str)
    )
    rep.counts["contracts"] = int(np.unique(contract).size)
    crossed = (bid > 0) & (ask > 0) & (bid > ask)
    flags.add(src, lines[crossed], "crossed quote")
    rep.counts["crossed"] = int(crossed.sum())
    rep.counts["zero_or_missing_bid"] = int(np.count_nonzero(~(bid > 0)))
    rep.counts["zero_or_missing_ask"] = int(np.count_nonzero(~(ask > 0)))
    # No-arbitrage bounds: a call is worth at least S - K and at most S; a put at least its discounted
    # intrinsic (K - S for American) and at most K.
    T = np.maximum(expiry_us - quote_us, 0) / 1e6 / (365.0 * 86400.0)
    tol = cfg.bound_tolerance + cfg.bound_tolerance_of_spot * np.nan_to_num(spot)
    k_disc = strike * np.exp(-cfg.max_rate * T) if market is Market.IN else strike
    lower = np.where(is_call, np.maximum(spot - strike, 0.0), np.maximum(k_disc - spot, 0.0))
    upper = np.where(is_call, spot, strike)
    known = np.isfinite(spot)
    below = known & (ask > 0) & (ask < lower - tol)
    above = known & (bid > 0) & (bid > upper + tol)
    flags.add(src, lines[below], "ask below the no-arbitrage lower bound (intrinsic)")
    flags.add(src, lines[above], "bid above the no-arbitrage upper bound")
    rep.counts["outside_no_arbitrage_bounds"] = int(below.sum() + above.sum())
    # Stale: the same two-sided quote as the contract's previous one although the underlying moved.
    order = np.lexsort((quote_us, contract))
    c, b, a, s = contract[order], bid[order], ask[order], spot[order]
    same = (c[1:] == c[:-1]) & (b[1:] == b[:-1]) & (a[1:] == a[:-1]) & (b[1:] > 0) & (a[1:] > 0)
    moved = np.abs(np.log(s[1:] / s[:-1])) >= cfg.stale_underlying_move
    worth = (b[1:] + a[1:]) / 2 >= cfg.stale_min_mid
    stale = same & np.nan_to_num(moved, nan=0).astype(bool) & worth
    flags.add(src, lines[order][1:][stale], "stale quote (unchanged while the underlying moved)")
    rep.counts["stale"] = int(stale.sum())
    snaps = np.unique(quote_us)
    cal = calendar_for(market)
    days_of: dict[date, list[int]] = {}
    for q in snaps.tolist():
        d = cal.local_date(_dt(q))
        days_of.setdefault(d, []).append(q)
    intraday = any(len(v) > 1 for v in days_of.values())
    if intraday:
        missing = 0
        for d, qs in days_of.items():
            if not cal.is_session(d):
                continue
            session = cal.session(d)
            expected = {
                int((session.open + timedelta(minutes=m + 1)).timestamp() * 1e6)
                for m in range(session.minutes)
            }
            missing += len(expected - set(qs))
        rep.counts["gaps"] = missing
        rep.notes.append("gaps: regular-session minutes with no quote of any contract")
    else:
        rep.counts["gaps"] = _missing_sessions(market, set(days_of), cfg.gap_years)
        rep.notes.append("gaps: trading sessions with no chain between the set's first and last day")


def _dt(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1e6, UTC)


def _bar_checks(t: pa.Table, kind: Kind, cfg: QualityConfig, rep: SetReport, flags: _Flags) -> None:
    cal = calendar_for(Market.US)
    regular = t.filter(pc.equal(t["session"], "regular"))
    rep.counts["pre_or_post_market_rows"] = t.num_rows - regular.num_rows
    starts = _us(regular, "start")
    days: dict[date, list[int]] = {}
    for i, s in enumerate(starts.tolist()):
        days.setdefault(cal.local_date(_dt(s)), []).append(i)
    rep.counts["days"] = len(days)
    rep.counts["gaps"] = sum(cal.session(d).minutes - len(ix) for d, ix in days.items())
    rep.notes.append("gaps: regular-session minutes without a bar")
    if kind is Kind.QUOTE_BARS:
        bid, ask = _f(t, "bid_close"), _f(t, "ask_close")
        crossed = (bid > 0) & (ask > 0) & (bid > ask)
        flags.add(rep.source, t["source_line"].to_numpy(zero_copy_only=False)[crossed], "crossed quote")
        rep.counts["crossed"] = int(crossed.sum())
        rep.counts["zero_or_missing_bid"] = int(np.count_nonzero(~(bid > 0)))
        return
    rep.counts["zero_volume_bars"] = int(np.count_nonzero(~(_f(t, "volume") > 0)))
    opens, closes = _f(regular, "open"), _f(regular, "close")
    ordered = sorted(days)
    d = np.array(ordered, dtype="datetime64[D]")
    o = np.array([opens[days[x][0]] for x in ordered])
    c = np.array([closes[days[x][-1]] for x in ordered])
    volumes = _f(regular, "volume")
    v = np.array([volumes[days[x]].sum() for x in ordered])
    symbol = str(t["symbol"][0].as_py())
    splits, rejected = split_gaps(symbol, d, o, c, cfg.splits, v)
    rep.counts["suspected_corporate_actions"] = len(splits)
    rep.notes += [s.describe() for s in splits] + [g.describe() for g in rejected]


def _daily_checks(t: pa.Table, cfg: QualityConfig, rep: SetReport) -> None:
    days = t["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    rep.counts["days"] = int(np.unique(days).size)
    rep.counts["gaps"] = _missing_sessions(Market.US, set(days.astype(object).tolist()), cfg.gap_years)
    rep.notes.append(f"gaps: missing sessions in the last {cfg.gap_years} years of the set")
    found = 0
    for sym in sorted(set(t["symbol"].to_pylist())):
        one = t.filter(pc.equal(t["symbol"], sym)).sort_by("day")
        d = one["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
        splits, rejected = split_gaps(
            sym, d, _f(one, "open"), _f(one, "close"), cfg.splits, _f(one, "volume")
        )
        sf = _f(one, "split_factor")
        stated = np.flatnonzero(np.isfinite(sf) & (sf != 1.0))
        rep.notes += [f"{sym} {d[i]}: vendor states a {sf[i]:g} split" for i in stated]
        rep.notes += [s.describe() for s in splits] + [g.describe() for g in rejected]
        found += len(splits) + int(stated.size)
    rep.counts["suspected_corporate_actions"] = found


def check_store(
    store: DataStore, config: QualityConfig | None = None, flags_file: Path | None = None
) -> list[SetReport]:
    """One report per imported file (in import order)."""
    cfg = config or QualityConfig()
    markets = store.markets()
    flags = _Flags()
    reports: list[SetReport] = []
    seen: set[str] = set()
    for entry in store.imports():
        path = Path(str(entry["source"]))
        if path.name in seen:
            continue
        seen.add(path.name)
        kind = Kind(str(entry["kind"]))
        rep = SetReport(str(path), str(entry["fmt"]), kind.value)
        rep.counts["rows_read"] = int(entry.get("rows_read", 0))
        rep.counts["rejected"] = int(sum(dict(entry.get("skipped", {})).values()))
        rep.counts["duplicates"] = int(entry.get("duplicates_in_file", 0)) + int(
            entry.get("already_stored", 0)
        )
        if entry.get("already_stored"):
            rep.notes.append(
                f"{entry['already_stored']} rows were already stored from another file (kept as stored)"
            )
        table, parts = _of_source(store, kind, path.name)
        rep.counts["rows"] = 0 if table is None else table.num_rows
        if table is not None:
            if kind is Kind.CHAINS:
                rep.counts["days"] = len(parts)
                market = markets.get(str(table["underlying"][0].as_py()), Market.US)
                _chain_checks(table, market, cfg, rep, flags)
            elif kind in (Kind.MINUTE_BARS, Kind.QUOTE_BARS):
                _bar_checks(table, kind, cfg, rep, flags)
            elif kind is Kind.DAILY_BARS:
                _daily_checks(table, cfg, rep)
            elif kind in (Kind.OPTION_TRADES, Kind.OPEN_INTEREST):
                rep.counts["days"] = len(parts)
                rep.counts["contracts"] = len(
                    set(
                        zip(
                            table["expiry"].to_pylist(),
                            table["strike"].to_pylist(),
                            table["right"].to_pylist(),
                            strict=True,
                        )
                    )
                )
            elif kind is Kind.VIX:
                days = table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
                rep.counts["days"] = int(days.size)
                rep.counts["gaps"] = _missing_sessions(
                    Market.US, set(days.astype(object).tolist()), cfg.gap_years
                )
            elif kind is Kind.RATES:
                rep.counts["days"] = int(pc.count_distinct(table["day"]).as_py())
            elif kind is Kind.NEWS:
                for label, n in zip(
                    *np.unique(table["label_name"].to_numpy(zero_copy_only=False), return_counts=True),
                    strict=True,
                ):
                    rep.counts[f"label_{label}"] = int(n)
        reports.append(rep)
    if flags_file is not None:
        flags_file.parent.mkdir(parents=True, exist_ok=True)
        with flags_file.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["source", "line", "problem"])
            w.writerows(sorted(flags.rows))
    return reports
