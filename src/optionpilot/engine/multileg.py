"""The multi-leg desk: enters chosen strategies through the order manager and manages the open ones.

Entries: one position per strategy, one multi-leg order of `lots` units (atomic or legged, as the broker
allows), a limit at the natural price of the legs now (a market order when legs differ in multiplier, as a
covered call's shares and option do). The same strategy is never entered twice for a symbol on one day
unless forced. Monitoring marks every leg of every open strategy in arrays (one chain per underlying),
evaluates `decisions.strategies.exits` and, unless alert-only, closes or scales out with market orders.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.core.ids import IdMaker
from optionpilot.core.money import ZERO
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.decisions.strategies.catalog import PROFILES, StrategyType
from optionpilot.decisions.strategies.exits import (
    ExitAction,
    ExitBatch,
    ExitInputs,
    ExitSignal,
    MultiLegExitConfig,
    evaluate_exits,
    explain,
)
from optionpilot.domain.instruments import OptionContract, Stock
from optionpilot.domain.orders import OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionStatus
from optionpilot.domain.recommendations import Decision, PositionEvent
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.journal import Journal
from optionpilot.engine.multileg_config import StrategiesConfig
from optionpilot.ports.market_data import MarketData
from optionpilot.pricing import bs_greeks, implied_vol

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
META_FLOW = "multileg"
_YEAR_DAYS = 365.0


def strategy_meta(candidate: StrategyCandidate, lots: int) -> dict[str, str]:
    """What the exit rules need later, kept on the position (and so in the database)."""
    first = candidate.legs[0]
    return {
        "flow": META_FLOW,
        "candidate_id": candidate.candidate_id,
        "units": str(lots),
        "unit_leg": first.instrument.key,
        "unit_ratio": str(first.ratio),
        "max_profit_unit": "" if candidate.max_profit is None else str(candidate.max_profit),
        "max_loss_unit": "" if candidate.max_loss is None else str(candidate.max_loss),
    }


def closes_at_once(candidate: StrategyCandidate, config: MultiLegExitConfig) -> bool:
    """True when the time exit would close the strategy on its first look (too near its expiry)."""
    short = PROFILES[candidate.strategy].collects_premium
    limit = config.dte_exit_short_premium if short else config.dte_exit_other
    return candidate.dte <= limit


def entered_today(
    positions: Iterable[Position], underlying: str, strategy: str, day: date, zone: tzinfo
) -> Position | None:
    """A position of this strategy on this symbol opened on `day` (entries that never filled do not count)."""
    for p in positions:
        if p.underlying != underlying or p.strategy_type != strategy:
            continue
        local = p.opened_at.astimezone(zone)
        failed = p.status is PositionStatus.CLOSED and p.entry_cost == 0 and p.is_flat
        if local.date() == day and not failed:
            return p
    return None


def natural_price(market: MarketData, legs: Sequence[OrderLeg]) -> Decimal | None:
    """Net per share of one unit: buys at the ask, sells at the bid; None when a leg lacks a quote."""
    total = ZERO
    for leg in legs:
        inst = leg.instrument
        if isinstance(inst, Stock):
            price = Decimal(repr(round(market.spot(inst.symbol), 4)))
        else:
            q = market.quote(inst)
            if q is None or q.bid <= 0 or q.ask <= 0 or q.bid > q.ask:
                return None
            price = q.ask if leg.side.sign > 0 else q.bid
        total += leg.side.sign * leg.ratio * price
    return total


@dataclass(frozen=True, slots=True)
class MonitorRow:
    position_id: str
    underlying: str
    strategy: str
    units: int
    pnl: float
    capture: float
    dte: int
    action: ExitAction
    urgency: str
    rule: str
    reason: str
    acted: bool


class MultiLegDesk:
    def __init__(
        self,
        account: AccountRuntime,
        market: MarketData,
        clock: Clock,
        journal: Journal,
        ids: IdMaker,
        config: StrategiesConfig,
    ) -> None:
        self.account = account
        self.market = market
        self.clock = clock
        self.journal = journal
        self.ids = ids
        self.config = config
        self.last_mark: dict[str, float] = {}

    # -- entries ----------------------------------------------------------------------------------------

    def enter(
        self, candidate: StrategyCandidate, lots: int, *, reason: str, force: bool = False
    ) -> Decision[Position]:
        now = self.clock.now()
        today = self.market.calendar.local_date(now)
        book = self.account.book
        if lots <= 0:
            return Decision.no(f"{candidate.candidate_id}: {lots} lots", "multileg.entry.lots")
        if candidate.expiry < today:
            return Decision.no(
                f"{candidate.candidate_id}: its nearest leg expired on {candidate.expiry}",
                "multileg.entry.expired",
            )
        if closes_at_once(candidate, self.config.exits):
            return Decision.no(
                f"{candidate.candidate_id}: {candidate.dte} DTE is inside the time exit (closes at once)",
                "multileg.entry.time_exit",
            )
        dup = entered_today(
            book.positions.values(),
            candidate.underlying,
            candidate.strategy.value,
            today,
            self.market.calendar.zone,
        )
        if dup is not None and not force:
            return Decision.no(
                f"{candidate.strategy.value} on {candidate.underlying} was already entered today "
                f"({dup.position_id}); --force enters it again",
                "multileg.entry.once_a_day",
            )
        try:
            net = natural_price(self.market, candidate.legs)
        except (DataError, LookAheadError) as exc:
            return Decision.no(f"{candidate.candidate_id}: {exc}", "multileg.entry.quote")
        if net is None:
            return Decision.no(
                f"{candidate.candidate_id}: a leg has no two-sided quote now", "multileg.entry.quote"
            )
        mixed = len({leg.instrument.multiplier for leg in candidate.legs}) > 1
        position = Position(
            position_id=self.ids.position_id(),
            account_id=self.account.account_id,
            underlying=candidate.underlying,
            strategy_type=candidate.strategy.value,
            opened_at=now,
            entry_reason=f"{reason}; {candidate.reason}",
            meta=strategy_meta(candidate, lots),
        )
        book.add_position(position)
        self.journal.current.positions.append(position)
        self.account.orders.place(
            candidate.legs,
            lots,
            position_id=position.position_id,
            purpose="entry",
            reason=f"{candidate.strategy.value} x{lots}: {reason}",
            order_type=OrderType.MARKET if mixed else OrderType.LIMIT,
            limit_price=None if mixed else net,
        )
        kind = "market" if mixed else f"limit {net}"
        return Decision.yes(
            position, f"entry sent: {lots} x {candidate.strategy.value} ({kind})", "multileg.entry"
        )

    # -- monitoring -------------------------------------------------------------------------------------

    def open_positions(self) -> list[Position]:
        return [
            p
            for p in self.account.book.open_positions()
            if p.status is PositionStatus.OPEN and p.meta.get("flow") == META_FLOW and not p.is_flat
        ]

    def evaluate(self, positions: Sequence[Position]) -> ExitBatch:
        return evaluate_exits(self.exit_inputs(positions), self.config.exits)

    def monitor(self, *, act: bool) -> list[MonitorRow]:
        """Mark, evaluate and act unless `act` is False; each flagged position gets an EXIT_SIGNAL event."""
        positions = [p for p in self.open_positions() if not self.account.orders.open_orders(p.position_id)]
        if not positions:
            return []
        batch = self.evaluate(positions)
        rows: list[MonitorRow] = []
        now = self.clock.now()
        records = self.journal.current
        for i, p in enumerate(positions):
            action = batch.action(i)
            if action is ExitAction.HOLD:
                rows.append(self._row(p, batch, i, "multileg_exit.hold", "hold", False))
                continue
            d = explain(batch, i, self.config.exits)
            acted = act and action in (ExitAction.CLOSE, ExitAction.PARTIAL) and d.value is not None
            records.position_events.append(
                PositionEvent(
                    now,
                    p.position_id,
                    p.account_id,
                    PositionEventKind.EXIT_SIGNAL,
                    f"[{batch.urgency_of(i).value}] {d.reason}",
                    int(batch.close_units[i]),
                )
            )
            if acted and d.value is not None:
                self._exit(p, d.value, d.reason)
            rows.append(self._row(p, batch, i, d.rule, d.reason, acted))
        return rows

    def _row(self, p: Position, batch: ExitBatch, i: int, rule: str, reason: str, acted: bool) -> MonitorRow:
        return MonitorRow(
            p.position_id,
            p.underlying,
            p.strategy_type,
            int(batch.inputs.units[i]),
            float(batch.pnl[i]),
            float(batch.capture[i]),
            int(batch.inputs.dte[i]),
            batch.action(i),
            batch.urgency_of(i).value,
            rule,
            reason,
            acted,
        )

    def _exit(self, p: Position, signal: ExitSignal, reason: str) -> None:
        units = signal.close_units
        ratio = int(p.meta.get("unit_ratio", "1"))
        unit_leg = p.legs.get(p.meta.get("unit_leg", ""))
        base = abs(unit_leg.quantity) // ratio if unit_leg is not None and ratio else 0
        legs: list[OrderLeg] = []
        for leg in p.legs.values():
            if leg.quantity == 0:
                continue
            per_unit = abs(leg.quantity) // base if base else abs(leg.quantity)
            side = leg.quantity < 0  # short: buy it back
            legs.append(
                OrderLeg(
                    leg.instrument,
                    Side.BUY if side else Side.SELL,
                    ratio=max(per_unit, 1),
                    effect=PositionEffect.CLOSE,
                )
            )
        if not legs or units <= 0:
            return
        full = signal.action is ExitAction.CLOSE
        purpose = "exit" if full else "partial_exit"
        if full:
            p.status = PositionStatus.CLOSING
            p.exit_reason = reason
        else:
            p.partials_taken += 1
        self.journal.current.positions.append(p)
        self.account.orders.place(
            _lowest_terms(legs),
            units * _gcd_of(legs),
            position_id=p.position_id,
            purpose=purpose,
            reason=reason,
            order_type=OrderType.MARKET,
        )

    # -- marks and inputs -------------------------------------------------------------------------------

    def exit_inputs(self, positions: Sequence[Position]) -> ExitInputs:
        """Every leg of every position marked in arrays: values, DTE, theta and the short-strike gap."""
        now = self.clock.now()
        today = self.market.calendar.local_date(now)
        n = len(positions)
        pos_i: list[int] = []
        qty: list[float] = []
        avg: list[float] = []
        opts: list[OptionContract | None] = []
        symbols: list[str] = []
        for i, p in enumerate(positions):
            for leg in p.legs.values():
                if leg.quantity == 0:
                    continue
                pos_i.append(i)
                qty.append(float(leg.quantity * leg.multiplier))
                avg.append(float(leg.avg_price))
                inst = leg.instrument
                opts.append(inst if isinstance(inst, OptionContract) else None)
                symbols.append(inst.underlying if isinstance(inst, OptionContract) else inst.symbol)
        idx = np.asarray(pos_i, dtype=np.int64)
        q = np.asarray(qty, dtype=np.float64)
        a = np.asarray(avg, dtype=np.float64)
        is_opt = np.asarray([o is not None for o in opts], dtype=bool)
        spots = {s: self.market.spot(s) for s in sorted(set(symbols))}
        spot = np.asarray([spots[s] for s in symbols], dtype=np.float64)
        strike = np.asarray([float(o.strike) if o else 0.0 for o in opts], dtype=np.float64)
        is_call = np.asarray([bool(o and o.is_call) for o in opts], dtype=bool)
        exp_days = np.asarray([(o.expiry - today).days if o else 10**6 for o in opts], dtype=np.int64)
        mark = np.where(is_opt, self._option_marks(opts, symbols, exp_days), spot)
        basis = _sum_by(idx, weights=q * a, minlength=n)
        value = _sum_by(idx, weights=q * mark, minlength=n)
        dte = np.full(n, 10**6, dtype=np.int64)
        np.minimum.at(dte, idx, exp_days)
        theta_leg = np.zeros(len(q))
        if is_opt.any():
            o = is_opt
            t = np.maximum(exp_days[o], 0) / _YEAR_DAYS + 1.0 / (_YEAR_DAYS * 24)
            rate = self.market.risk_free_rate(today, 30)
            iv = implied_vol(mark[o], spot[o], strike[o], t, rate, 0.0, is_call[o])
            iv = np.where(np.isfinite(iv), iv, 1e-4)
            g = bs_greeks(spot[o], strike[o], t, rate, 0.0, iv, is_call[o])
            theta_leg[o] = g.theta / _YEAR_DAYS * q[o]
        theta = _sum_by(idx, weights=theta_leg, minlength=n)
        short_opt = is_opt & (q < 0)
        gap_leg = np.where(is_call, strike - spot, spot - strike) / np.where(spot > 0, spot, 1.0)
        gap = np.full(n, np.inf)
        np.minimum.at(gap, idx[short_opt], gap_leg[short_opt])
        gap = np.where(np.isfinite(gap), gap, np.nan)
        units = np.asarray([_units(p) for p in positions], dtype=np.int64)
        opened = np.asarray([max(int(p.meta.get("units", "1")), 1) for p in positions], dtype=np.int64)
        mp = np.asarray([_per_unit(p, "max_profit_unit") for p in positions], dtype=np.float64) * units
        ml = np.asarray([_per_unit(p, "max_loss_unit") for p in positions], dtype=np.float64) * units
        short_premium = np.asarray([_collects(p.strategy_type) for p in positions], dtype=bool)
        return ExitInputs(
            basis=basis,
            value=value,
            max_profit=mp,
            max_loss=ml,
            dte=dte,
            short_premium=short_premium,
            theta=theta,
            units=units,
            opened_units=opened,
            partials_taken=np.asarray([p.partials_taken for p in positions], dtype=np.int64),
            short_gap=gap,
        )

    def _option_marks(
        self, opts: Sequence[OptionContract | None], symbols: Sequence[str], exp_days: I64
    ) -> F64:
        """Mids from one chain per underlying, found by (expiry, right, strike) code; misses ask quote()."""
        out = np.full(len(opts), np.nan)
        codes = np.asarray(
            [_code(o.expiry.toordinal(), o.is_call, float(o.strike)) if o else -1 for o in opts],
            dtype=np.int64,
        )
        for sym in sorted({s for s, o in zip(symbols, opts, strict=True) if o is not None}):
            rows = np.flatnonzero((np.asarray(symbols) == sym) & (codes >= 0))
            try:
                ch = self.market.chain(sym, min_dte=0, max_dte=int(exp_days[rows].max()))
            except (DataError, LookAheadError):
                continue
            ok = (ch.bid > 0) & (ch.ask > 0) & (ch.bid <= ch.ask)
            ords = ch.expiry.astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL
            cc = _codes(ords, ch.is_call, ch.strike)
            order = np.argsort(cc)
            sc = cc[order]
            pos = np.clip(np.searchsorted(sc, codes[rows]), 0, max(len(sc) - 1, 0))
            if len(sc):
                found = sc[pos] == codes[rows]
                src = order[pos]
                good = found & ok[src]
                out[rows[good]] = 0.5 * (ch.bid[src[good]] + ch.ask[src[good]])
        for j in np.flatnonzero(np.isnan(out)).tolist():
            o = opts[j]
            if o is None:
                continue
            qt = self.market.quote(o)
            if qt is not None and qt.bid > 0 and qt.ask > 0 and qt.bid <= qt.ask:
                out[j] = float(qt.mid)
            else:
                out[j] = self.last_mark.get(o.key, math.nan)
        for j, o in enumerate(opts):
            if o is not None and math.isfinite(out[j]):
                self.last_mark[o.key] = float(out[j])
        return out


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _code(ordinal: int, is_call: bool, strike: float) -> int:
    return (ordinal * 2 + int(is_call)) * 10**9 + round(strike * 1000)


def _codes(ordinals: I64, is_call: NDArray[np.bool_], strike: F64) -> I64:
    return np.asarray(
        (ordinals * 2 + is_call.astype(np.int64)) * 10**9 + np.round(strike * 1000).astype(np.int64),
        dtype=np.int64,
    )


def _sum_by(idx: I64, weights: F64, minlength: int) -> F64:
    return np.asarray(np.bincount(idx, weights=weights, minlength=minlength), dtype=np.float64)


def _units(p: Position) -> int:
    ratio = int(p.meta.get("unit_ratio", "1")) or 1
    leg = p.legs.get(p.meta.get("unit_leg", ""))
    if leg is None or leg.quantity == 0:
        return max(abs(next((lg.quantity for lg in p.legs.values() if lg.quantity), 0)), 0)
    return abs(leg.quantity) // ratio


def _per_unit(p: Position, key: str) -> float:
    text = p.meta.get(key, "")
    return math.inf if text == "" else float(text)


def _collects(strategy_type: str) -> bool:
    try:
        return PROFILES[StrategyType(strategy_type)].collects_premium
    except ValueError:
        return False


def _gcd_of(legs: Sequence[OrderLeg]) -> int:
    return math.gcd(*(leg.ratio for leg in legs))


def _lowest_terms(legs: Sequence[OrderLeg]) -> list[OrderLeg]:
    g = _gcd_of(legs)
    return [OrderLeg(leg.instrument, leg.side, leg.ratio // g, leg.effect) for leg in legs]
