"""One exit model: one vocabulary (`ExitAction`, `ExitSignal`), one registry of pure rules, two evaluators.

`single_leg.evaluate_exit` decides one option position at a time; `multi_leg.evaluate_exits` decides many
multi-leg positions at once over arrays. Both take their ordered rules from `registry.REGISTRY` through
`registry.select_rules` and the `rule_sets` of their config.
"""

from optionpilot.decisions.exits.absolute import position_loss_limit
from optionpilot.decisions.exits.actions import ExitAction, ExitSignal, Urgency
from optionpilot.decisions.exits.closing import ClosePlan, LegState, plan_close, shape_problem
from optionpilot.decisions.exits.config import ExitConfig, MultiLegExitConfig
from optionpilot.decisions.exits.multi_leg import ExitBatch, ExitInputs, Rule, evaluate_exits, explain
from optionpilot.decisions.exits.registry import REGISTRY, select_rules
from optionpilot.decisions.exits.rolls import propose_roll
from optionpilot.decisions.exits.single_leg import (
    DAY_TRADE,
    SWING_TRADE,
    PositionView,
    entry_passes_exit_rules,
    evaluate_exit,
    partial_quantity,
    trail_armed,
    trailing_stop,
)
from optionpilot.decisions.exits.single_leg_vol import expected_move
from optionpilot.decisions.exits.stock import StockView, evaluate_stock_exit

__all__ = [
    "DAY_TRADE",
    "REGISTRY",
    "SWING_TRADE",
    "ClosePlan",
    "ExitAction",
    "ExitBatch",
    "ExitConfig",
    "ExitInputs",
    "ExitSignal",
    "LegState",
    "MultiLegExitConfig",
    "PositionView",
    "Rule",
    "StockView",
    "Urgency",
    "entry_passes_exit_rules",
    "evaluate_exit",
    "evaluate_exits",
    "evaluate_stock_exit",
    "expected_move",
    "explain",
    "partial_quantity",
    "plan_close",
    "position_loss_limit",
    "propose_roll",
    "select_rules",
    "shape_problem",
    "trail_armed",
    "trailing_stop",
]
