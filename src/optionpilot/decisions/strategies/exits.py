"""Exit rules of open multi-leg positions (seed 004's exit evaluator), over arrays of many positions.

Money is per position in currency. P&L = value now - cost basis of the open quantity (+ paid, - received).
The profit reference is the max profit when it is bounded, else the debit paid; `capture` is P&L over it.

Rules, first match wins, each with its urgency:
1. stop (HIGH): loss >= `stop_pct_max_loss` of the max loss; with unbounded loss, >= `stop_credit_multiple`
   x the credit received; or loss >= `stop_absolute` (currency) when set.
2. time (MEDIUM, HIGH at `high_urgency_dte` or less): DTE <= 21 for short-premium strategies, 7 otherwise.
3. profit target (MEDIUM): capture >= 50% on credit strategies, 75% on debit ones with bounded profit,
   100% of the debit when profit is unbounded.
4. theta (MEDIUM): a long-premium position losing `theta_decay_pct` of its value a day to time decay.
5. adjustment (MEDIUM, HIGH when breached): a short strike of a credit position is within
   `roll_buffer_pct` of spot or breached: a defensive roll is proposed, never acted on by itself.
6. scaling (NORMAL): each level of `scaling_levels` (25/50/75% capture) below the target that is reached
   closes `scaling_fraction` of the opened units (positions of 2 units or more, one level per look).
Else HOLD (NORMAL).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.domain.recommendations import Decision

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


class ExitAction(StrEnum):
    HOLD = "HOLD"
    CLOSE = "CLOSE"
    PARTIAL = "PARTIAL"
    ADJUST = "ADJUST"  # proposed only: a roll or adjustment for a person to decide


class Urgency(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    NORMAL = "NORMAL"


class Rule(IntEnum):
    HOLD = 0
    STOP = 1
    TIME = 2
    PROFIT_TARGET = 3
    THETA = 4
    ADJUST = 5
    SCALING = 6


_ACTION = {
    Rule.HOLD: ExitAction.HOLD,
    Rule.STOP: ExitAction.CLOSE,
    Rule.TIME: ExitAction.CLOSE,
    Rule.PROFIT_TARGET: ExitAction.CLOSE,
    Rule.THETA: ExitAction.CLOSE,
    Rule.ADJUST: ExitAction.ADJUST,
    Rule.SCALING: ExitAction.PARTIAL,
}
_URGENCY_CODES = (Urgency.NORMAL, Urgency.MEDIUM, Urgency.HIGH)
_ACTION_BY_CODE = {int(r): a for r, a in _ACTION.items()}


class MultiLegExitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profit_target_credit: float = Field(0.50, gt=0, description="of max profit (seed 004: 50%)")
    profit_target_debit: float = Field(0.75, gt=0, description="of max profit, debit strategies")
    profit_target_unbounded: float = Field(1.00, gt=0, description="of the debit paid, unbounded profit")
    scaling_levels: tuple[float, ...] = Field((0.25, 0.50, 0.75), description="seed 004: 25/50/75% exits")
    scaling_fraction: float = Field(0.25, gt=0, lt=1, description="of the opened units, at each level")
    stop_pct_max_loss: float = Field(0.50, gt=0, le=1, description="seed 004: -50% of max loss")
    stop_credit_multiple: float = Field(2.0, gt=0, description="unbounded loss: stop at this x the credit")
    stop_absolute: float | None = Field(
        None, gt=0, description="loss in currency that closes any position (seed 004's example: 5,000 INR)"
    )
    dte_exit_short_premium: int = Field(21, ge=0, description="seed 004: close short premium at 21 DTE")
    dte_exit_other: int = Field(7, ge=0, description="seed 004: close at 7 DTE")
    high_urgency_dte: int = Field(2, ge=0)
    theta_decay_pct: float = Field(0.04, gt=0, description="long premium: daily theta over value")
    roll_buffer_pct: float = Field(0.01, ge=0, description="short strike this close to spot: propose a roll")


@dataclass(frozen=True, slots=True)
class ExitInputs:
    """One row per open position."""

    basis: F64  # cost basis of the open quantity: + paid, - received
    value: F64  # signed market value of the open legs
    max_profit: F64  # for the open units; inf when unbounded
    max_loss: F64  # positive, for the open units; inf when unbounded
    dte: I64  # the nearest option expiry
    short_premium: B  # the strategy collects premium (catalog), for the DTE rule
    theta: F64  # currency per day, the position
    units: I64  # open units
    opened_units: I64
    partials_taken: I64
    short_gap: F64  # min over short options of the distance to the strike over spot; < 0 breached; NaN none

    def __len__(self) -> int:
        return int(self.basis.shape[0])


@dataclass(frozen=True, slots=True)
class ExitBatch:
    inputs: ExitInputs
    rule: NDArray[np.int8]  # a `Rule` per position
    urgency: NDArray[np.int8]  # 0 NORMAL, 1 MEDIUM, 2 HIGH
    close_units: I64  # units to close now (0 unless CLOSE or PARTIAL)
    pnl: F64
    capture: F64  # P&L over the profit reference
    target: F64  # the capture that closes the position

    def __len__(self) -> int:
        return int(self.rule.shape[0])

    def action(self, i: int) -> ExitAction:
        return _ACTION[Rule(int(self.rule[i]))]

    def urgency_of(self, i: int) -> Urgency:
        return _URGENCY_CODES[int(self.urgency[i])]

    def actions(self) -> list[ExitAction]:
        """`action(i)` of every row at once (the monitor reads all of them)."""
        return [_ACTION_BY_CODE[c] for c in self.rule.tolist()]

    def urgencies(self) -> list[Urgency]:
        return [_URGENCY_CODES[c] for c in self.urgency.tolist()]

    def flagged(self) -> I64:
        """Rows whose action is not HOLD."""
        return np.flatnonzero(self.rule != Rule.HOLD).astype(np.int64)


def evaluate_exits(inp: ExitInputs, config: MultiLegExitConfig | None = None) -> ExitBatch:
    cfg = config or MultiLegExitConfig()
    n = len(inp)
    pnl = inp.value - inp.basis
    loss = -pnl
    credit = inp.basis < 0
    bounded = np.isfinite(inp.max_profit)
    ref = np.where(bounded, inp.max_profit, np.abs(inp.basis))
    with np.errstate(divide="ignore", invalid="ignore"):
        capture = np.where(ref > 0, pnl / ref, 0.0)
    target = np.where(
        credit,
        cfg.profit_target_credit,
        np.where(bounded, cfg.profit_target_debit, cfg.profit_target_unbounded),
    )
    stop = np.where(
        np.isfinite(inp.max_loss),
        loss >= cfg.stop_pct_max_loss * inp.max_loss,
        credit & (loss >= cfg.stop_credit_multiple * np.abs(inp.basis)),
    )
    if cfg.stop_absolute is not None:
        stop |= loss >= cfg.stop_absolute
    limit = np.where(inp.short_premium, cfg.dte_exit_short_premium, cfg.dte_exit_other)
    timed = inp.dte <= limit
    hit = capture >= target
    with np.errstate(divide="ignore", invalid="ignore"):
        decay = np.where(inp.value > 0, -inp.theta / inp.value, 0.0)
    theta = ~credit & (inp.theta < 0) & (decay >= cfg.theta_decay_pct)
    gap = np.nan_to_num(inp.short_gap, nan=np.inf)
    adjust = credit & (gap < cfg.roll_buffer_pct)
    levels = np.asarray(cfg.scaling_levels, dtype=np.float64)
    below = levels[None, :] < target[:, None] if levels.size else np.zeros((n, 0), dtype=bool)
    reached = ((capture[:, None] >= levels[None, :]) & below).sum(axis=1) if levels.size else np.zeros(n)
    part_units = np.maximum(np.floor(inp.opened_units * cfg.scaling_fraction), 1).astype(np.int64)
    part_units = np.minimum(part_units, inp.units - 1)
    scale = (reached > inp.partials_taken) & (part_units >= 1)

    rule = np.full(n, Rule.HOLD, dtype=np.int8)
    urgency = np.zeros(n, dtype=np.int8)
    # Lowest priority first, so a higher rule overwrites it.
    for mask, code, urg in (
        (scale, Rule.SCALING, 0),
        (adjust, Rule.ADJUST, 1),
        (theta, Rule.THETA, 1),
        (hit, Rule.PROFIT_TARGET, 1),
        (timed, Rule.TIME, 1),
        (stop, Rule.STOP, 2),
    ):
        rule = np.where(mask, np.int8(code), rule).astype(np.int8)
        urgency = np.where(mask, np.int8(urg), urgency).astype(np.int8)
    urgency = np.where((rule == Rule.TIME) & (inp.dte <= cfg.high_urgency_dte), np.int8(2), urgency)
    urgency = np.where((rule == Rule.ADJUST) & (gap < 0), np.int8(2), urgency).astype(np.int8)
    closing = np.isin(rule, (Rule.STOP, Rule.TIME, Rule.PROFIT_TARGET, Rule.THETA))
    close_units = np.where(closing, inp.units, np.where(rule == Rule.SCALING, part_units, 0)).astype(np.int64)
    return ExitBatch(inp, rule, urgency, close_units, pnl, capture, target)


@dataclass(frozen=True, slots=True)
class ExitSignal:
    action: ExitAction
    urgency: Urgency
    close_units: int


def explain(batch: ExitBatch, i: int, config: MultiLegExitConfig | None = None) -> Decision[ExitSignal]:
    """The decision for position `i`, with its reason (made only for the rows a caller shows or acts on)."""
    cfg = config or MultiLegExitConfig()
    inp = batch.inputs
    r = Rule(int(batch.rule[i]))
    pnl, cap, dte = float(batch.pnl[i]), float(batch.capture[i]), int(inp.dte[i])
    ml = float(inp.max_loss[i])
    head = f"P&L {pnl:+,.2f} ({cap:+.0%} of the profit reference), {dte} DTE"
    if r is Rule.STOP:
        if cfg.stop_absolute is not None and -pnl >= cfg.stop_absolute:
            why = f"stop: loss {-pnl:,.2f} reached the absolute stop {cfg.stop_absolute:,.2f}"
        elif math.isfinite(ml):
            why = f"stop: loss {-pnl:,.2f} is >= {cfg.stop_pct_max_loss:.0%} of the max loss {ml:,.2f}"
        else:
            why = (
                f"stop: loss {-pnl:,.2f} is >= {cfg.stop_credit_multiple:g}x the credit "
                f"{abs(float(inp.basis[i])):,.2f} (loss unbounded)"
            )
    elif r is Rule.TIME:
        limit = cfg.dte_exit_short_premium if inp.short_premium[i] else cfg.dte_exit_other
        kind = "short premium" if inp.short_premium[i] else "this strategy"
        why = f"time: {dte} DTE is at or inside the {limit}-DTE exit for {kind}"
    elif r is Rule.PROFIT_TARGET:
        why = f"profit target: captured {cap:.0%}, target {float(batch.target[i]):.0%}"
    elif r is Rule.THETA:
        decay = -float(inp.theta[i]) / float(inp.value[i])
        why = f"theta: losing {decay:.1%} of its value a day, limit {cfg.theta_decay_pct:.0%}"
    elif r is Rule.ADJUST:
        gap = float(inp.short_gap[i])
        state = "breached" if gap < 0 else f"within {cfg.roll_buffer_pct:.0%} of spot"
        why = f"adjustment proposed: a short strike is {state} ({gap:+.1%}); consider rolling it out and away"
    elif r is Rule.SCALING:
        why = (
            f"scaling exit: captured {cap:.0%}, level {int(inp.partials_taken[i]) + 1} reached; "
            f"close {int(batch.close_units[i])} of {int(inp.units[i])} units"
        )
    else:
        why = "hold: no exit rule triggered"
    signal = ExitSignal(_ACTION[r], batch.urgency_of(i), int(batch.close_units[i]))
    rule_name = f"multileg_exit.{r.name.lower()}"
    if r is Rule.HOLD:
        return Decision.no(f"{head}; {why}", rule_name)
    return Decision.yes(signal, f"{head}; {why}", rule_name, pnl=pnl, capture=cap, dte=dte)


# -- closing a position whose legs may be unquoted, and telling a broken one ---------------------------------


@dataclass(frozen=True, slots=True)
class LegState:
    """One open leg as the close planner sees it."""

    key: str
    quantity: int  # signed: + long, - short
    quoted: bool  # tradeable now (an option with a two-sided quote, or shares with a price)


@dataclass(frozen=True, slots=True)
class ClosePlan:
    close: tuple[str, ...]  # keys of the legs to close now
    wait: tuple[str, ...]  # keys left open until they are quoted or settle at expiry


def plan_close(legs: Sequence[LegState]) -> Decision[ClosePlan]:
    """Which legs of a position to close now.

    Every leg quoted: all of them. Otherwise shorts that are quoted are bought back (that only lowers the
    risk), and longs are sold only when no short stays open, because a long is the cover of the shorts
    left (a spread's wing must never be sold while its short waits). What is left waits: the desk asks
    again at every look, and the broker settles it at expiry, so no position is left without a rule
    that ends it. `no` when nothing can be closed now, with the reason.
    """
    open_legs = [leg for leg in legs if leg.quantity != 0]
    if not open_legs:
        return Decision.no("no open leg", "multileg_close.flat")
    unquoted = [leg.key for leg in open_legs if not leg.quoted]
    if not unquoted:
        return Decision.yes(
            ClosePlan(tuple(leg.key for leg in open_legs), ()), "every leg is quoted", "multileg_close.all"
        )
    shorts_left = any(leg.quantity < 0 and not leg.quoted for leg in open_legs)
    close = tuple(leg.key for leg in open_legs if leg.quoted and (leg.quantity < 0 or not shorts_left))
    wait = tuple(leg.key for leg in open_legs if leg.key not in close)
    missing = ", ".join(unquoted)
    if not close:
        kept = " (the quoted longs cover the unquoted shorts)" if len(wait) > len(unquoted) else ""
        return Decision.no(
            f"waiting: no quote for {missing}{kept}; asked again at every look, settled at expiry",
            "multileg_close.wait",
        )
    why = f"no quote for {missing}: closing {', '.join(close)} now"
    if len(wait) > len(unquoted):
        why += "; longs kept as cover of the unquoted shorts"
    return Decision.yes(ClosePlan(close, wait), why + "; the rest waits", "multileg_close.partial")


def shape_problem(entry: Mapping[str, int], held: Mapping[str, int], stock_keys: Iterable[str]) -> str | None:
    """Why the legs held no longer form the strategy entered (None when they still do).

    `entry` is each leg's signed quantity per unit at entry, `held` the signed quantities now (zeros
    left out). A strategy breaks when shares arrive by exercise or assignment, when a leg is gone (settled
    at expiry, or never filled by a legged entry that was unwound) or when legs are out of proportion.
    """
    stocks = set(stock_keys)
    extra = sorted(k for k in held if k not in entry)
    delivered = [k for k in extra if k in stocks]
    if delivered:
        shares = ", ".join(f"{held[k]:+d} {k}" for k in delivered)
        return f"shares delivered at expiry ({shares}) are not a strategy"
    if extra:
        return f"legs {', '.join(extra)} are not part of the strategy"
    gone = sorted(k for k in entry if k not in held)
    if gone and held:
        return f"legs {', '.join(gone)} are gone (settled at expiry, or never filled): the strategy is broken"
    units = {held[k] / entry[k] for k in held if entry.get(k)}
    if len(units) > 1 or any(u <= 0 for u in units):
        return "legs are out of proportion (a legged order part-filled): the strategy is broken"
    return None
