"""Exit rules of open multi-leg positions (seed 004's exit evaluator), over arrays of many positions.

Money is per position in currency. P&L = value now - cost basis of the open quantity (+ paid, - received).
The profit reference is the max profit when it is bounded, else the debit paid; `capture` is P&L over it.

Rules are registered in `registry.REGISTRY`; a position gets the ordered list `rule_sets` holds for its
strategy, and the first rule in its list that fires wins. The default list, each with its urgency:
1. stop (HIGH): loss >= `stop_pct_max_loss` of the max loss; with unbounded loss, >= `stop_credit_multiple`
   x the credit received; or loss >= `stop_absolute` (currency) when set.
2. time (MEDIUM, HIGH at `high_urgency_dte` or less): DTE <= 21 for short-premium strategies, 7 otherwise.
3. profit target (MEDIUM): capture >= 50% on credit strategies, 75% on debit ones with bounded profit,
   100% of the debit when profit is unbounded.
4. theta (MEDIUM): a long-premium position losing `theta_decay_pct` of its value a day to time decay.
5. adjustment (MEDIUM, HIGH when breached): a short strike of a credit position is within
   `roll_buffer_pct` of spot or breached: a defensive roll is proposed (executed when `rolls` is on).
6. scaling (NORMAL): each level of `scaling_levels` (25/50/75% capture) below the target that is reached
   closes `scaling_fraction` of the opened units (positions of 2 units or more, one level per look).
Not in the default list (seed 004's optional exits): `multileg_exit.trailing` and `multileg_exit.max_hold`.
Else HOLD (NORMAL).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from optionpilot.decisions.exits.actions import URGENCY_CODES, ExitAction, ExitSignal, Urgency
from optionpilot.decisions.exits.config import MultiLegExitConfig
from optionpilot.decisions.exits.registry import ANY, REGISTRY, MultiLegFire, select_rules
from optionpilot.domain.recommendations import Decision

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
B = NDArray[np.bool_]


class Rule(IntEnum):
    """The code each multi-leg rule has in a batch's `rule` column."""

    HOLD = 0
    STOP = 1
    TIME = 2
    PROFIT_TARGET = 3
    THETA = 4
    ADJUST = 5
    SCALING = 6
    TRAILING = 7
    MAX_HOLD = 8
    ABSOLUTE_STOP = 9


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
    strategy: tuple[str, ...] = ()  # the strategy type of each row, to choose its rules; () for any
    days_held: I64 | None = None  # calendar days since entry
    peak_capture: F64 | None = None  # highest capture seen before this look (NaN: none yet)
    loss_limit: float | None = None  # seed 004's absolute stop per position, in currency; None: off

    def __len__(self) -> int:
        return int(self.basis.shape[0])


@dataclass(frozen=True, slots=True)
class MultiLegLook:
    """The arrays every multi-leg rule reads, worked out once per batch."""

    inp: ExitInputs
    cfg: MultiLegExitConfig
    pnl: F64
    credit: B
    capture: F64
    target: F64
    peak: F64  # highest capture including this look
    gap: F64  # short_gap with NaN as +inf
    part_units: I64  # units one scaling exit closes

    @classmethod
    def of(cls, inp: ExitInputs, cfg: MultiLegExitConfig) -> MultiLegLook:
        pnl = inp.value - inp.basis
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
        seen = inp.peak_capture if inp.peak_capture is not None else np.full(len(inp), np.nan)
        peak = np.fmax(seen, capture)
        part = np.maximum(np.floor(inp.opened_units * cfg.scaling_fraction), 1).astype(np.int64)
        part = np.minimum(part, inp.units - 1)
        gap = np.nan_to_num(inp.short_gap, nan=np.inf)
        return cls(inp, cfg, pnl, credit, capture, target, peak, gap, part)


def _urg(n: int, code: int) -> I8:
    return np.full(n, code, dtype=np.int8)


def _stop_why(look: MultiLegLook, i: int) -> str:
    cfg, inp = look.cfg, look.inp
    pnl, ml = float(look.pnl[i]), float(inp.max_loss[i])
    if cfg.stop_absolute is not None and -pnl >= cfg.stop_absolute:
        return f"stop: loss {-pnl:,.2f} reached the absolute stop {cfg.stop_absolute:,.2f}"
    if math.isfinite(ml):
        return f"stop: loss {-pnl:,.2f} is >= {cfg.stop_pct_max_loss:.0%} of the max loss {ml:,.2f}"
    return (
        f"stop: loss {-pnl:,.2f} is >= {cfg.stop_credit_multiple:g}x the credit "
        f"{abs(float(inp.basis[i])):,.2f} (loss unbounded)"
    )


@REGISTRY.multi_leg("multileg_exit.stop", Rule.STOP, ExitAction.CLOSE, _stop_why)
def stop(look: MultiLegLook) -> MultiLegFire:
    inp, cfg, loss = look.inp, look.cfg, -look.pnl
    fired = np.where(
        np.isfinite(inp.max_loss),
        loss >= cfg.stop_pct_max_loss * inp.max_loss,
        look.credit & (loss >= cfg.stop_credit_multiple * np.abs(inp.basis)),
    )
    if cfg.stop_absolute is not None:
        fired |= loss >= cfg.stop_absolute
    return fired, _urg(len(inp), 2)


def _time_why(look: MultiLegLook, i: int) -> str:
    cfg, inp = look.cfg, look.inp
    short = bool(inp.short_premium[i])
    limit = cfg.dte_exit_short_premium if short else cfg.dte_exit_other
    kind = "short premium" if short else "this strategy"
    return f"time: {int(inp.dte[i])} DTE is at or inside the {limit}-DTE exit for {kind}"


@REGISTRY.multi_leg("multileg_exit.time", Rule.TIME, ExitAction.CLOSE, _time_why)
def time_exit(look: MultiLegLook) -> MultiLegFire:
    inp, cfg = look.inp, look.cfg
    limit = np.where(inp.short_premium, cfg.dte_exit_short_premium, cfg.dte_exit_other)
    urgency = np.where(inp.dte <= cfg.high_urgency_dte, np.int8(2), np.int8(1)).astype(np.int8)
    return inp.dte <= limit, urgency


def _target_why(look: MultiLegLook, i: int) -> str:
    return f"profit target: captured {float(look.capture[i]):.0%}, target {float(look.target[i]):.0%}"


@REGISTRY.multi_leg("multileg_exit.profit_target", Rule.PROFIT_TARGET, ExitAction.CLOSE, _target_why)
def profit_target(look: MultiLegLook) -> MultiLegFire:
    return look.capture >= look.target, _urg(len(look.inp), 1)


def _theta_why(look: MultiLegLook, i: int) -> str:
    decay = -float(look.inp.theta[i]) / float(look.inp.value[i])
    return f"theta: losing {decay:.1%} of its value a day, limit {look.cfg.theta_decay_pct:.0%}"


@REGISTRY.multi_leg("multileg_exit.theta", Rule.THETA, ExitAction.CLOSE, _theta_why)
def theta(look: MultiLegLook) -> MultiLegFire:
    inp = look.inp
    with np.errstate(divide="ignore", invalid="ignore"):
        decay = np.where(inp.value > 0, -inp.theta / inp.value, 0.0)
    fired = ~look.credit & (inp.theta < 0) & (decay >= look.cfg.theta_decay_pct)
    return fired, _urg(len(inp), 1)


def _adjust_why(look: MultiLegLook, i: int) -> str:
    gap = float(look.inp.short_gap[i])
    state = "breached" if gap < 0 else f"within {look.cfg.roll_buffer_pct:.0%} of spot"
    return f"adjustment proposed: a short strike is {state} ({gap:+.1%}); consider rolling it out and away"


@REGISTRY.multi_leg("multileg_exit.adjust", Rule.ADJUST, ExitAction.ADJUST, _adjust_why)
def adjust(look: MultiLegLook) -> MultiLegFire:
    urgency = np.where(look.gap < 0, np.int8(2), np.int8(1)).astype(np.int8)
    return look.credit & (look.gap < look.cfg.roll_buffer_pct), urgency


def _scaling_why(look: MultiLegLook, i: int) -> str:
    inp = look.inp
    return (
        f"scaling exit: captured {float(look.capture[i]):.0%}, level {int(inp.partials_taken[i]) + 1} "
        f"reached; close {int(look.part_units[i])} of {int(inp.units[i])} units"
    )


@REGISTRY.multi_leg("multileg_exit.scaling", Rule.SCALING, ExitAction.PARTIAL, _scaling_why)
def scaling(look: MultiLegLook) -> MultiLegFire:
    n = len(look.inp)
    levels = np.asarray(look.cfg.scaling_levels, dtype=np.float64)
    if not levels.size:
        return np.zeros(n, dtype=bool), _urg(n, 0)
    below = levels[None, :] < look.target[:, None]
    reached = ((look.capture[:, None] >= levels[None, :]) & below).sum(axis=1)
    return (reached > look.inp.partials_taken) & (look.part_units >= 1), _urg(n, 0)


def _trailing_why(look: MultiLegLook, i: int) -> str:
    cfg = look.cfg
    return (
        f"trailing stop: capture {float(look.capture[i]):.0%} fell {cfg.trail_giveback_capture:.0%} or more "
        f"from its peak {float(look.peak[i]):.0%} (armed at {cfg.trail_arm_capture:.0%})"
    )


@REGISTRY.multi_leg("multileg_exit.trailing", Rule.TRAILING, ExitAction.CLOSE, _trailing_why)
def trailing(look: MultiLegLook) -> MultiLegFire:
    """Seed 004's trailing stop: armed once capture reached `trail_arm_capture`, out on a giveback."""
    cfg = look.cfg
    armed = np.nan_to_num(look.peak, nan=-np.inf) >= cfg.trail_arm_capture
    return armed & (look.capture <= look.peak - cfg.trail_giveback_capture), _urg(len(look.inp), 1)


def _max_hold_why(look: MultiLegLook, i: int) -> str:
    held = look.inp.days_held
    days = int(held[i]) if held is not None else 0
    return f"holding period: held {days} days, the limit is {look.cfg.max_hold_days}"


@REGISTRY.multi_leg("multileg_exit.max_hold", Rule.MAX_HOLD, ExitAction.CLOSE, _max_hold_why)
def max_hold(look: MultiLegLook) -> MultiLegFire:
    n, held = len(look.inp), look.inp.days_held
    if held is None:
        return np.zeros(n, dtype=bool), _urg(n, 1)
    return held >= look.cfg.max_hold_days, _urg(n, 1)


def _absolute_why(look: MultiLegLook, i: int) -> str:
    return (
        f"absolute stop: the position has lost {-float(look.pnl[i]):,.2f}, the limit per position is "
        f"{look.inp.loss_limit or 0:,.2f}"
    )


@REGISTRY.multi_leg("multileg_exit.absolute_stop", Rule.ABSOLUTE_STOP, ExitAction.CLOSE, _absolute_why)
def absolute_stop(look: MultiLegLook) -> MultiLegFire:
    """Seed 004's absolute stop per position (`absolute.py`), on the same loss the other rules read."""
    n, limit = len(look.inp), look.inp.loss_limit
    if limit is None:
        return np.zeros(n, dtype=bool), _urg(n, 2)
    return -look.pnl >= limit, _urg(n, 2)


_ACTION_BY_CODE = {int(Rule.HOLD): ExitAction.HOLD} | {
    REGISTRY.multi(name).code: REGISTRY.multi(name).action for name in REGISTRY.names("multi_leg")
}
_CLOSING_CODES = [c for c, a in _ACTION_BY_CODE.items() if a is ExitAction.CLOSE]
_PARTIAL_CODES = [c for c, a in _ACTION_BY_CODE.items() if a is ExitAction.PARTIAL]


@dataclass(frozen=True, slots=True)
class ExitBatch:
    look: MultiLegLook
    rule: NDArray[np.int8]  # a `Rule` per position
    urgency: NDArray[np.int8]  # 0 NORMAL, 1 MEDIUM, 2 HIGH
    close_units: I64  # units to close now (0 unless CLOSE or PARTIAL)

    def __len__(self) -> int:
        return int(self.rule.shape[0])

    @property
    def inputs(self) -> ExitInputs:
        return self.look.inp

    @property
    def pnl(self) -> F64:
        return self.look.pnl

    @property
    def capture(self) -> F64:
        return self.look.capture

    @property
    def target(self) -> F64:
        return self.look.target

    @property
    def peak_capture(self) -> F64:
        return self.look.peak

    def action(self, i: int) -> ExitAction:
        return _ACTION_BY_CODE[int(self.rule[i])]

    def urgency_of(self, i: int) -> Urgency:
        return URGENCY_CODES[int(self.urgency[i])]

    def actions(self) -> list[ExitAction]:
        """`action(i)` of every row at once (the monitor reads all of them)."""
        return [_ACTION_BY_CODE[c] for c in self.rule.tolist()]

    def urgencies(self) -> list[Urgency]:
        return [URGENCY_CODES[c] for c in self.urgency.tolist()]

    def flagged(self) -> I64:
        """Rows whose action is not HOLD."""
        return np.flatnonzero(self.rule != Rule.HOLD).astype(np.int64)


def evaluate_exits(inp: ExitInputs, config: MultiLegExitConfig | None = None) -> ExitBatch:
    """Each row's first firing rule of its strategy's list (one pass of every rule over all rows)."""
    cfg = config or MultiLegExitConfig()
    n = len(inp)
    look = MultiLegLook.of(inp, cfg)
    strategies = inp.strategy or (ANY,) * n
    groups = sorted(set(strategies))
    lists = {s: select_rules(cfg.rule_sets, s, ANY) for s in groups}
    names = list(dict.fromkeys(name for s in groups for name in lists[s]))
    never = len(names) + 1
    # rank[i, j]: where rule j stands in row i's list (never when it is not in it).
    rank = np.full((n, len(names)), never, dtype=np.int64)
    group_of = np.asarray([groups.index(s) for s in strategies], dtype=np.int64)
    for g, s in enumerate(groups):
        rows = group_of == g
        for pos, name in enumerate(lists[s]):
            rank[rows, names.index(name)] = pos
    codes = np.zeros(len(names), dtype=np.int8)
    urg = np.zeros((n, len(names)), dtype=np.int8)
    for j, name in enumerate(names):
        spec = REGISTRY.multi(name)
        fired, urgency = spec.fire(look)
        codes[j] = spec.code
        rank[:, j] = np.where(fired, rank[:, j], never)
        urg[:, j] = urgency
    if names:
        best = rank.argmin(axis=1)
        hit = rank[np.arange(n), best] < never
        rule = np.where(hit, codes[best], np.int8(Rule.HOLD)).astype(np.int8)
        urgency_row = np.where(hit, urg[np.arange(n), best], np.int8(0)).astype(np.int8)
    else:
        rule, urgency_row = np.zeros(n, dtype=np.int8), np.zeros(n, dtype=np.int8)
    close_units = np.where(
        np.isin(rule, _CLOSING_CODES),
        inp.units,
        np.where(np.isin(rule, _PARTIAL_CODES), look.part_units, 0),
    ).astype(np.int64)
    return ExitBatch(look, rule, urgency_row, close_units)


def explain(batch: ExitBatch, i: int) -> Decision[ExitSignal]:
    """The decision for position `i`, with its reason (made only for the rows a caller shows or acts on)."""
    look = batch.look
    code = int(batch.rule[i])
    pnl, cap, dte = float(look.pnl[i]), float(look.capture[i]), int(look.inp.dte[i])
    head = f"P&L {pnl:+,.2f} ({cap:+.0%} of the profit reference), {dte} DTE"
    if code == Rule.HOLD:
        return Decision.no(f"{head}; hold: no exit rule triggered", "multileg_exit.hold")
    name, spec = REGISTRY.by_code(code)
    signal = ExitSignal(spec.action, int(batch.close_units[i]), batch.urgency_of(i))
    return Decision.yes(signal, f"{head}; {spec.why(look, i)}", name, pnl=pnl, capture=cap, dte=dte)
