"""Closing positions by hand (the operator's `close` and `kill`): limit orders at a marketable price,
re-priced until flat, with a market order as the last resort where the broker takes one.

Each position to close is a job. Each step (a tick of the run, or a minute of a standing account's verb):
- an order of the job still working after `reprice_after` is cancelled (its fills count when they come);
- when nothing of the job works, what is still to close is sent again: options as one order of the closing
  legs in lowest terms (legs one by one on a legged broker: the order manager does that), shares apart;
  a limit at the natural price (buys at the ask, sells at the bid) plus `aggression` per attempt, so each
  attempt gives more; after `limit_attempts` attempts a market order where the broker allows one;
- a leg with no two-sided quote is not priced: the job waits for a quote (no market order on no quote).
The job is done when the units it was asked to close are closed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from optionpilot.core.ids import ClientOrderId, PositionId
from optionpilot.domain.instruments import Stock
from optionpilot.domain.orders import OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionLeg, PositionStatus
from optionpilot.domain.recommendations import Decision, PositionEvent
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.marks import units_of
from optionpilot.engine.multileg.desk import natural_price
from optionpilot.ports.market_data import MarketData

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FlattenConfig:
    reprice_after: timedelta = timedelta(minutes=1)
    limit_attempts: int = 3
    aggression: Decimal = Decimal("0.05")  # of the natural price per attempt, at least a cent


@dataclass(slots=True)
class CloseJob:
    position_id: PositionId
    target_units: int  # the units the position keeps when the job is done (0: flat)
    reason: str
    rule: str
    attempts: int = 0
    orders: list[ClientOrderId] = field(default_factory=list)
    sent_at: datetime | None = None
    waiting: str = ""  # why nothing was sent at the last step
    done: bool = False


def closing_side(leg: PositionLeg) -> Side:
    return Side.BUY if leg.quantity < 0 else Side.SELL


def closing_legs(position: Position, units: int) -> tuple[list[OrderLeg], int, list[tuple[OrderLeg, int]]]:
    """The options of `units` units as one order (legs in lowest terms, its quantity), and each stock leg
    as its own order with its quantity."""
    total = units_of(position)
    legs = [leg for leg in position.legs.values() if leg.quantity]
    per_unit = {leg.instrument.key: abs(leg.quantity) // total for leg in legs}
    options = [leg for leg in legs if not isinstance(leg.instrument, Stock)]
    stocks = [
        (
            OrderLeg(leg.instrument, closing_side(leg), 1, PositionEffect.CLOSE),
            per_unit[leg.instrument.key] * units,
        )
        for leg in legs
        if isinstance(leg.instrument, Stock)
    ]
    if not options:
        return [], 0, stocks
    g = math.gcd(*(per_unit[leg.instrument.key] for leg in options))
    combo = [
        OrderLeg(leg.instrument, closing_side(leg), per_unit[leg.instrument.key] // g, PositionEffect.CLOSE)
        for leg in options
    ]
    return combo, units * g, stocks


def closable(position: Position | None, quantity: int | None) -> Decision[int]:
    """Whether `quantity` units (None: all) of the position can be closed; yes with the units it keeps."""
    if position is None or not position.is_open or position.is_flat:
        return Decision.no("no open position by that id", "operator.no_position")
    units = units_of(position)
    if quantity is None or quantity == units:
        return Decision.yes(0, f"close all {units} unit(s)", "operator.close_all")
    if quantity <= 0 or quantity > units:
        return Decision.no(
            f"asked to close {quantity}, the position has {units} unit(s)", "operator.quantity"
        )
    legs = [leg for leg in position.legs.values() if leg.quantity]
    if any(abs(leg.quantity) % units for leg in legs):
        return Decision.no(
            "its legs do not divide into equal units, so only all of it can be closed", "operator.quantity"
        )
    return Decision.yes(units - quantity, f"close {quantity} of {units} unit(s)", "operator.close_part")


class Flattener:
    """Closes positions of one account by hand, step by step (see the module docstring)."""

    def __init__(
        self, account: AccountRuntime, market: MarketData, config: FlattenConfig | None = None
    ) -> None:
        self.account = account
        self.market = market
        self.config = config or FlattenConfig()
        self.jobs: dict[PositionId, CloseJob] = {}

    def close(self, position_id: PositionId, quantity: int | None, reason: str, rule: str) -> Decision[int]:
        position = self.account.book.positions.get(position_id)
        ok = closable(position, quantity)
        if ok.value is None or position is None:
            return ok
        self.jobs[position_id] = CloseJob(position_id, ok.value, reason, rule)
        return ok

    def close_all(self, reason: str, rule: str) -> int:
        """A job for every open position; how many."""
        for p in self.account.book.open_positions():
            if not p.is_flat:
                self.jobs[p.position_id] = CloseJob(p.position_id, 0, reason, rule)
        return len(self.jobs)

    @property
    def busy(self) -> bool:
        return any(not j.done for j in self.jobs.values())

    def finished(self, position_id: PositionId) -> CloseJob | None:
        job = self.jobs.get(position_id)
        return job if job is not None and job.done else None

    def step(self, now: datetime) -> None:
        for job in self.jobs.values():
            if not job.done:
                self._step(job, now)

    def _step(self, job: CloseJob, now: datetime) -> None:
        orders = self.account.orders
        position = self.account.book.positions[job.position_id]
        working = [cid for cid in job.orders if not orders.orders[cid].is_terminal]
        if working:
            if job.sent_at is not None and now - job.sent_at >= self.config.reprice_after:
                for cid in working:
                    orders.cancel(
                        cid, f"{job.rule}: re-priced, not filled within {self.config.reprice_after}"
                    )
            return
        left = 0 if position.is_flat else units_of(position) - job.target_units
        if left <= 0:
            job.done = True
            return
        # Another order of the position (an exit the rules sent) is still out: it may close it; wait for it.
        if orders.open_orders(job.position_id):
            job.waiting = "another order of the position is working"
            return
        self._send(job, position, left, now)

    def _send(self, job: CloseJob, position: Position, units: int, now: datetime) -> None:
        combo, quantity, stocks = closing_legs(position, units)
        market_ok = OrderType.MARKET in self.account.broker.capabilities.order_types
        use_market = job.attempts >= self.config.limit_attempts and market_ok
        sends: list[tuple[list[OrderLeg], int]] = ([(combo, quantity)] if combo else []) + [
            ([leg], qty) for leg, qty in stocks
        ]
        priced: list[tuple[list[OrderLeg], int, Decimal | None]] = []
        for legs, qty in sends:
            natural = natural_price(self.market, legs)
            if natural is None:
                # No market order on no quote either: a price no one shows is not a price.
                job.waiting = "a leg has no two-sided quote: waiting for one"
                return
            sale = len(legs) == 1 and legs[0].side is Side.SELL
            limit = marketable_limit(natural, job.attempts, self.config.aggression, sale_alone=sale)
            priced.append((legs, qty, None if use_market else limit))
        job.attempts += 1
        job.waiting = ""
        job.sent_at = now
        full = job.target_units == 0
        text = f"{job.rule}: {job.reason}"
        if full:
            position.status = PositionStatus.CLOSING
            position.exit_reason = text
        records = self.account.orders.journal.current
        records.positions.append(position)
        records.position_events.append(
            PositionEvent(now, position.position_id, position.account_id, PositionEventKind.EXIT_SIGNAL,
                          f"{text} (attempt {job.attempts}{', market' if use_market else ''})", units)
        )  # fmt: skip
        for legs, qty, price in priced:
            order = self.account.orders.place(
                legs,
                qty,
                position_id=position.position_id,
                purpose="exit" if full else "partial_exit",
                reason=text,
                order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
                limit_price=price,
            )
            job.orders.append(order.client_order_id)


def marketable_limit(natural: Decimal, attempt: int, aggression: Decimal, *, sale_alone: bool) -> Decimal:
    """The natural price (per share, + a debit, - a credit) plus `aggression` of it (at least a cent) per
    attempt made: a higher limit always gives more (a debit paid or a credit given up). On the cent, rounded
    up (towards giving); a sale alone never asks to pay."""
    step = max(abs(natural) * aggression, CENT)
    price = (natural + step * attempt).quantize(CENT, rounding=ROUND_CEILING)
    return min(price, -CENT) if sale_alone else price
