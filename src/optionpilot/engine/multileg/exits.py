"""The multi-leg half of the position manager: seed 004's exits acted on (or only flagged) for one account.

Every leg of every managed strategy is marked in arrays (`engine.marks`, the marker of both flows), the
rules of `decisions.exits` are evaluated and, unless alert-only, positions are closed, scaled out or (with
`rolls` on) rolled with market orders. Before the rules, two things force a close:
- a broken strategy (`shape_problem`): shares delivered by exercise or assignment, a leg gone at expiry,
  legs out of proportion after a legged order part-filled. Everything left is closed, shares included.
- an exit decided earlier that is not done (its order was rejected, expired or held): a decided exit
  stands, so it is sent again at every look.
A close sends the legs `plan_close` allows: all when all are quoted; else quoted shorts, and longs only
when no short is left. The rest waits with its reason (the position is back to `open`, never `closing`
without an order) until quoted or settled at expiry; netted legs expire through `multileg_expiry`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.decisions.exits import (
    ExitAction,
    LegState,
    MultiLegExitConfig,
    evaluate_exits,
    explain,
    plan_close,
    position_loss_limit,
    shape_problem,
)
from optionpilot.decisions.exits.multi_leg import F64
from optionpilot.decisions.netting import opposite_side
from optionpilot.decisions.risk import RiskConfig
from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.domain.instruments import Instrument, Stock
from optionpilot.domain.orders import OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionLeg, PositionStatus
from optionpilot.domain.recommendations import PositionEvent
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.entries.dispatch import held_sides
from optionpilot.engine.exits.rolls import roll_legs, send_roll
from optionpilot.engine.journal import Journal
from optionpilot.engine.marks import PEAK_CAPTURE, Marker, units_of
from optionpilot.engine.multileg.rolls import ROLL_MAP, plan_roll, remember_roll, settle_roll
from optionpilot.ports.market_data import MarketData

META_FLOW = "multileg"
EXIT_DUE = "exit_due"  # meta: the reason of an exit decided and not done yet


def entry_shape(p: Position) -> dict[str, int] | None:
    """Signed quantity per unit of each leg at entry (None for positions stored before it was kept)."""
    text = p.meta.get("legs", "")
    if not text:
        return None
    out: dict[str, int] = {}
    for part in text.split(";"):
        key, _, qty = part.rpartition("=")
        out[key] = int(qty)
    return out


def broken_because(p: Position) -> str | None:
    """Why the position's legs no longer form its strategy, or None."""
    held = {k: leg.quantity for k, leg in p.legs.items() if leg.quantity}
    stocks = [k for k, leg in p.legs.items() if leg.quantity and isinstance(leg.instrument, Stock)]
    shape = entry_shape(p)
    if shape is not None:
        return shape_problem(shape, held, stocks)
    if stocks and (p.strategy_type != StrategyType.COVERED_CALL.value or p.meta.get("delivered") == "1"):
        return shape_problem({}, held, stocks)
    return None


def tradeable(market: MarketData, inst: Instrument) -> bool:
    """Shares with a price, or an option with a two-sided quote with size (what the broker fills on)."""
    try:
        if isinstance(inst, Stock):
            spot = market.spot(inst.symbol)
            return math.isfinite(spot) and spot > 0
        q = market.quote(inst)
    except (DataError, LookAheadError):
        return False
    return q is not None and q.bid > 0 and q.ask > 0 and q.bid <= q.ask and q.bid_size > 0 and q.ask_size > 0


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


def open_positions(account: AccountRuntime) -> list[Position]:
    """Multi-leg positions holding something (open, or closing with an exit order working)."""
    return [
        p
        for p in account.book.positions.values()
        if p.status in (PositionStatus.OPEN, PositionStatus.CLOSING)
        and p.meta.get("flow") == META_FLOW
        and not p.is_flat
    ]


def managed_positions(account: AccountRuntime) -> list[Position]:
    """Open positions with no order working: a `closing` one whose exit ended unfinished is back here."""
    working = {o.position_id for o in account.orders.open_orders()}
    return [p for p in open_positions(account) if p.position_id not in working]


class MultiLegExits:
    """The multi-leg position manager of one account (the desk and `ExitStage` both run it)."""

    def __init__(self, account: AccountRuntime, market: MarketData, marker: Marker) -> None:
        self.account = account
        self.market = market
        self.marker = marker
        self.now = datetime.min.replace(tzinfo=UTC)  # of the look in progress
        self.config = MultiLegExitConfig()
        # Shape checks by position, valid while its legs are unchanged (the monitor runs every look).
        self._shapes: dict[str, tuple[tuple[tuple[str, int], ...], str | None]] = {}

    @property
    def journal(self) -> Journal:
        return self.account.orders.journal

    def monitor(
        self, now: datetime, config: MultiLegExitConfig, *, act: bool, loss_limit: float | None = None
    ) -> list[MonitorRow]:
        """Mark, evaluate and act unless `act` is False; each flagged position gets an EXIT_SIGNAL event.
        `loss_limit`: seed 004's absolute stop per position in currency (`multileg_exit.absolute_stop`)."""
        self.now, self.config = now, config
        positions = managed_positions(self.account)
        if not positions:
            return []
        for p in positions:
            if ROLL_MAP in p.meta:
                self._settle_roll(p)
        today = self.market.calendar.local_date(now)
        inputs = dataclasses.replace(self.marker.exit_inputs(positions, today), loss_limit=loss_limit)
        batch = evaluate_exits(inputs, config)
        inp = batch.inputs
        # Columns as Python lists once: reading numpy scalars row by row costs more than the rules.
        units, pnl, capture, dte = (
            inp.units.tolist(),
            batch.pnl.tolist(),
            batch.capture.tolist(),
            inp.dte.tolist(),
        )
        actions, urgencies, closing = batch.actions(), batch.urgencies(), batch.close_units.tolist()
        _keep_peaks(positions, inp.peak_capture, batch.peak_capture)
        rows: list[MonitorRow] = []
        now = self.now
        events = self.journal.current.position_events
        for i, p in enumerate(positions):
            forced = self._forced_exit(p)
            action = actions[i]
            if forced is not None:
                rule, reason = forced
                events.append(
                    PositionEvent(
                        now, p.position_id, p.account_id, PositionEventKind.EXIT_SIGNAL, f"[HIGH] {reason}"
                    )
                )
                acted = act and self.close_all(p, reason, rule)
                action, urgency = ExitAction.CLOSE, "HIGH"
            elif action is ExitAction.HOLD:
                rule, reason, acted, urgency = "multileg_exit.hold", "hold", False, urgencies[i].value
            else:
                d = explain(batch, i)
                rule, reason, urgency = d.rule, d.reason, urgencies[i].value
                events.append(
                    PositionEvent(
                        now,
                        p.position_id,
                        p.account_id,
                        PositionEventKind.EXIT_SIGNAL,
                        f"[{urgency}] {reason}",
                        closing[i],
                    )
                )
                acted = False
                if act and d.value is not None:
                    if action is ExitAction.CLOSE:
                        acted = self.close_all(p, reason, rule)
                    elif action is ExitAction.PARTIAL:
                        acted = self._scale_out(p, d.value.quantity, reason)
                    elif action is ExitAction.ADJUST and self.config.rolls:
                        acted = self._roll(p, reason, rule)
                        action = ExitAction.ROLL if acted else action
            rows.append(
                MonitorRow(
                    p.position_id,
                    p.underlying,
                    p.strategy_type,
                    units[i],
                    pnl[i],
                    capture[i],
                    dte[i],
                    action,
                    urgency,
                    rule,
                    reason,
                    acted,
                )
            )
        return rows

    # -- closing ----------------------------------------------------------------------------------------

    def close_all(self, p: Position, reason: str, rule: str) -> bool:
        """Close what can be closed now (see `plan_close`); True when an order was sent.

        The decided exit is kept in `meta["exit_due"]` until the position is flat, so an exit order that
        ends unfilled is sent again at the next look instead of leaving the position `closing`.
        """
        legs = [leg for leg in p.legs.values() if leg.quantity]
        states = [
            LegState(leg.instrument.key, leg.quantity, tradeable(self.market, leg.instrument)) for leg in legs
        ]
        plan = plan_close(states)
        due = p.meta.setdefault(EXIT_DUE, f"{rule}: {reason}")
        records = self.journal.current
        records.positions.append(p)
        if plan.value is None:
            p.status = PositionStatus.OPEN
            records.position_events.append(
                PositionEvent(
                    self.now,
                    p.position_id,
                    p.account_id,
                    PositionEventKind.EXIT_SIGNAL,
                    f"{rule}: {plan.reason}",
                )
            )
            return False
        p.status = PositionStatus.CLOSING
        p.exit_reason = p.exit_reason or due
        text = f"{rule}: {reason}"
        if plan.value.wait:
            text += f" ({plan.reason})"
        chosen = [leg for leg in legs if leg.instrument.key in plan.value.close]
        options = [leg for leg in chosen if not isinstance(leg.instrument, Stock)]
        if options:
            order_legs, units = _combo(options)
            self._send(p, order_legs, units, "exit", text)
        for leg in chosen:
            if isinstance(leg.instrument, Stock):
                side = Side.BUY if leg.quantity < 0 else Side.SELL
                order_leg = OrderLeg(leg.instrument, side, 1, PositionEffect.CLOSE)
                self._send(p, [order_leg], abs(leg.quantity), "exit", text)
        return True

    def _scale_out(self, p: Position, units: int, reason: str) -> bool:
        """Close `units` of every leg in proportion, only when every leg is quoted (else hold for now)."""
        total = units_of(p)
        legs = [leg for leg in p.legs.values() if leg.quantity]
        if units <= 0 or total <= units or any(abs(leg.quantity) % total for leg in legs):
            return False
        if not all(tradeable(self.market, leg.instrument) for leg in legs):
            return False
        if len({leg.instrument.multiplier for leg in legs}) > 1:
            return False  # shares and options in one order: scaling a covered call is not offered
        per_unit = [
            OrderLeg(leg.instrument, _closing_side(leg), abs(leg.quantity) // total, PositionEffect.CLOSE)
            for leg in legs
        ]
        g = math.gcd(*(leg.ratio for leg in per_unit))
        lowest = [OrderLeg(leg.instrument, leg.side, leg.ratio // g, leg.effect) for leg in per_unit]
        p.partials_taken += 1
        self.journal.current.positions.append(p)
        self._send(p, lowest, units * g, "partial_exit", reason)
        return True

    def _roll(self, p: Position, reason: str, rule: str) -> bool:
        """Execute an ADJUST as one roll order (see `multileg_rolls`); False when none can be sent now."""
        now = self.now
        planned = plan_roll(self.market, now, p, self.config)
        roll = planned.value
        why = planned.reason
        if roll is not None:
            close = [(h.contract, h.quantity) for h in roll.close]
            open_ = [(h.contract, h.quantity) for h in roll.open]
            legs, _ = roll_legs(close, open_)
            if not all(tradeable(self.market, leg.instrument) for leg in legs):
                why = f"{why}; not sent: a leg has no two-sided quote with size now"
            elif not (
                clash := opposite_side(
                    held_sides(self.account),
                    [(g.instrument.key, g.side.sign) for g in legs if g.effect is PositionEffect.OPEN],
                )
            ).ok:
                why = f"{why}; not sent: {clash.reason}"
            else:
                remember_roll(p, roll)
                self.journal.current.positions.append(p)
                send_roll(self.account, p, close, open_, f"{planned.rule}: {reason}; {why}", now)
                return True
        self.journal.current.position_events.append(
            PositionEvent(now, p.position_id, p.account_id, PositionEventKind.ROLL_SIGNAL, f"{rule}: {why}")
        )
        return False

    def _settle_roll(self, p: Position) -> None:
        done = settle_roll(p)
        if done is not None:
            self.journal.current.positions.append(p)
            self.journal.current.position_events.append(
                PositionEvent(self.now, p.position_id, p.account_id, PositionEventKind.ROLL_SIGNAL, done)
            )

    def _send(self, p: Position, legs: Sequence[OrderLeg], quantity: int, purpose: str, reason: str) -> None:
        self.account.orders.place(
            legs,
            quantity,
            position_id=p.position_id,
            purpose=purpose,
            reason=reason,
            order_type=OrderType.MARKET,
        )

    def _forced_exit(self, p: Position) -> tuple[str, str] | None:
        held = tuple((k, leg.quantity) for k, leg in p.legs.items() if leg.quantity)
        seen = self._shapes.get(p.position_id)
        if seen is not None and seen[0] == held:
            problem = seen[1]
        else:
            problem = broken_because(p)
            self._shapes[p.position_id] = (held, problem)
        return _forced(p, problem)


def _keep_peaks(positions: Sequence[Position], before: F64 | None, after: F64) -> None:
    """The highest capture of each position, kept in its meta for the trailing stop's next look."""
    was = before.tolist() if before is not None else [math.nan] * len(positions)
    for p, old, new in zip(positions, was, after.tolist(), strict=True):
        if math.isfinite(new) and not (math.isfinite(old) and new <= old):
            p.meta[PEAK_CAPTURE] = repr(new)


def _forced(p: Position, problem: str | None) -> tuple[str, str] | None:
    if problem is not None:
        return "multileg_exit.broken", f"{problem}: closing what is left"
    due = p.meta.get(EXIT_DUE)
    if due:
        return "multileg_exit.retry", f"exit decided earlier and not done yet, sent again: {due}"
    return None


def _closing_side(leg: PositionLeg) -> Side:
    return Side.BUY if leg.quantity < 0 else Side.SELL


def _combo(legs: Sequence[PositionLeg]) -> tuple[list[OrderLeg], int]:
    """Closing legs in lowest terms and the number of units: 4/-8/4 is 3 legs 1/2/1 x 4."""
    g = math.gcd(*(abs(leg.quantity) for leg in legs))
    return [
        OrderLeg(leg.instrument, _closing_side(leg), abs(leg.quantity) // g, PositionEffect.CLOSE)
        for leg in legs
    ], g


def loss_limit(account: AccountRuntime, risk: RiskConfig) -> float | None:
    """Seed 004's absolute stop per position for `account` now: of its equity at the session's open (the
    broker's equity before the first open is seen), at most the configured amount; None when off."""
    if risk.position_stop_pct is None and risk.position_stop_amount is None:
        return None
    equity = account.day_start_equity
    if equity is None:
        equity = account.broker.account().equity
    limit = position_loss_limit(equity, risk.position_stop_pct, risk.position_stop_amount)
    return None if limit is None else float(limit)
