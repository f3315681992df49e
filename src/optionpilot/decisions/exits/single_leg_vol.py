"""Seed 003's conditional exits on volatility, for single-leg options (registered, chosen in `rule_sets`).

- `exits.vol_spike`: "exit immediately on big vol spike against position": the underlying's short-window
  return (the features' 5-minute return) is `vol_spike_sigma` or more standard deviations against the
  position, the deviation scaled from the underlying's realized vol to that window.
- `exits.expected_move`: "take profits at 50-75% of expected move": the expected move is the underlying
  at entry x the IV at entry x sqrt(days / 365), days the option's DTE at entry capped at
  `expected_move_max_days`; once the underlying has moved `expected_move_take` of it in favour and the
  option is at a gain, the high-probability part of the move is banked.
- `exits.iv_rich` ("IV vs realized vol: IV >> RV, options overpriced, favour selling"): a long whose
  implied vol is `iv_rv_rich` times the realized vol or more holds premium the market overprices; it is
  sold while rich, only at a gain of at least `iv_rv_min_gain` (a rich premium is no reason to realize a
  loss).
"""

from __future__ import annotations

import math

from optionpilot.decisions.exits.actions import ExitSignal
from optionpilot.decisions.exits.registry import REGISTRY
from optionpilot.decisions.exits.single_leg import SingleLegLook, close_all, favours_up, underlying_move
from optionpilot.domain.recommendations import Decision


def _known(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


@REGISTRY.single_leg("exits.vol_spike")
def vol_spike(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if v.short_move_sigma is None or not math.isfinite(v.short_move_sigma):
        return None
    against = -v.short_move_sigma if favours_up(v) else v.short_move_sigma
    if against >= cfg.vol_spike_sigma:
        why = (
            f"{look.prefix}vol spike against the position: the underlying moved {against:.1f} sigma "
            f"against it in the short window (limit {cfg.vol_spike_sigma:g})"
        )
        return close_all(look, why, "exits.vol_spike")
    return None


def expected_move(underlying_entry: float, entry_iv: float, entry_dte: int, max_days: int) -> float:
    """One standard deviation of the underlying over the horizon, in price: S x IV x sqrt(days / 365)."""
    days = max(min(entry_dte, max_days), 1)
    return underlying_entry * entry_iv * math.sqrt(days / 365.0)


@REGISTRY.single_leg("exits.expected_move")
def expected_move_target(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if not _known(v.entry_iv) or v.entry_dte is None or v.underlying_entry <= 0 or look.price is None:
        return None
    assert v.entry_iv is not None
    em = expected_move(v.underlying_entry, v.entry_iv, v.entry_dte, cfg.expected_move_max_days)
    moved = underlying_move(v) * v.underlying_entry
    if em <= 0 or moved < cfg.expected_move_take * em or look.gain <= 0:
        return None
    why = (
        f"expected-move target: the underlying moved {moved:.2f} in favour, {moved / em:.0%} of the "
        f"expected move {em:.2f} (entry IV {v.entry_iv:.1%}, {min(v.entry_dte, cfg.expected_move_max_days)} "
        f"days; take at {cfg.expected_move_take:.0%}); option {look.gain:+.1%}"
    )
    return close_all(look, why, "exits.expected_move")


@REGISTRY.single_leg("exits.iv_rich")
def iv_rich(look: SingleLegLook) -> Decision[ExitSignal] | None:
    v, cfg = look.v, look.cfg
    if not v.is_long or not _known(v.iv) or not _known(v.realized_vol) or look.price is None:
        return None
    assert v.iv is not None and v.realized_vol is not None
    if v.realized_vol <= 0 or v.iv <= 0:
        return None
    ratio = v.iv / v.realized_vol
    if ratio >= cfg.iv_rv_rich and look.gain >= cfg.iv_rv_min_gain:
        why = (
            f"premium rich: IV {v.iv:.1%} is {ratio:.2f}x the realized vol {v.realized_vol:.1%} "
            f"(limit {cfg.iv_rv_rich:g}x); sold at {look.gain:+.1%}"
        )
        return close_all(look, why, "exits.iv_rich")
    return None
