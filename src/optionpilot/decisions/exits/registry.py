"""One registry of exit rules, and one way of choosing a position's ordered rule list.

A rule is a pure function registered under the name its `Decision.rule` carries. Single-leg rules take one
position's look and return a decision or None; multi-leg rules take a batch's arrays and return which rows
fire (vectorised, seed 004's evaluator runs over many positions at once); stock rules take one stock
position. All live in `REGISTRY`, and every flow chooses a position's rules the same way: `select_rules`
over a table keyed "strategy/style".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from optionpilot.core.errors import DataError
from optionpilot.decisions.exits.actions import ExitAction, ExitSignal
from optionpilot.domain.recommendations import Decision

if TYPE_CHECKING:
    from optionpilot.decisions.exits.multi_leg import MultiLegLook
    from optionpilot.decisions.exits.single_leg import SingleLegLook
    from optionpilot.decisions.exits.stock import StockView

Family = Literal["single_leg", "stock", "multi_leg"]
SingleLegRule = Callable[["SingleLegLook"], Decision[ExitSignal] | None]
StockRule = Callable[["StockView"], Decision[ExitSignal] | None]
# Rows that fire, and their urgency code (0 NORMAL, 1 MEDIUM, 2 HIGH) per row.
MultiLegFire = tuple[NDArray[np.bool_], NDArray[np.int8]]
MultiLegRule = Callable[["MultiLegLook"], MultiLegFire]
MultiLegWhy = Callable[["MultiLegLook", int], str]


@dataclass(frozen=True, slots=True)
class MultiLegSpec:
    code: int  # stored per row in a batch (`multi_leg.Rule`)
    action: ExitAction
    fire: MultiLegRule
    why: MultiLegWhy


@dataclass(frozen=True, slots=True)
class RegisteredRule:
    name: str
    family: Family
    single: SingleLegRule | None = None
    stock: StockRule | None = None
    multi: MultiLegSpec | None = None


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, RegisteredRule] = {}

    def _add(self, rule: RegisteredRule) -> None:
        if rule.name in self._rules:
            raise ValueError(f"exit rule {rule.name!r} is registered twice")
        self._rules[rule.name] = rule

    def single_leg(self, name: str) -> Callable[[SingleLegRule], SingleLegRule]:
        def add(fn: SingleLegRule) -> SingleLegRule:
            self._add(RegisteredRule(name, "single_leg", single=fn))
            return fn

        return add

    def stock_rule(self, name: str) -> Callable[[StockRule], StockRule]:
        def add(fn: StockRule) -> StockRule:
            self._add(RegisteredRule(name, "stock", stock=fn))
            return fn

        return add

    def multi_leg(
        self, name: str, code: int, action: ExitAction, why: MultiLegWhy
    ) -> Callable[[MultiLegRule], MultiLegRule]:
        def add(fn: MultiLegRule) -> MultiLegRule:
            self._add(RegisteredRule(name, "multi_leg", multi=MultiLegSpec(code, action, fn, why)))
            return fn

        return add

    def names(self, family: Family) -> tuple[str, ...]:
        return tuple(n for n, r in self._rules.items() if r.family == family)

    def single(self, name: str) -> SingleLegRule:
        rule = self._rules.get(name)
        if rule is None or rule.single is None:
            raise DataError(
                f"exits: {name!r} is not a single-leg exit rule ({', '.join(self.names('single_leg'))})"
            )
        return rule.single

    def stock(self, name: str) -> StockRule:
        rule = self._rules.get(name)
        if rule is None or rule.stock is None:
            known = ", ".join(self.names("stock"))
            raise DataError(f"exits: {name!r} is not a stock exit rule ({known})")
        return rule.stock

    def multi(self, name: str) -> MultiLegSpec:
        rule = self._rules.get(name)
        if rule is None or rule.multi is None:
            raise DataError(
                f"exits: {name!r} is not a multi-leg exit rule ({', '.join(self.names('multi_leg'))})"
            )
        return rule.multi

    def by_code(self, code: int) -> tuple[str, MultiLegSpec]:
        for name, rule in self._rules.items():
            if rule.multi is not None and rule.multi.code == code:
                return name, rule.multi
        raise KeyError(code)


REGISTRY = RuleRegistry()

ANY = "*"


def select_rules(table: Mapping[str, Sequence[str]], strategy: str, style: str) -> tuple[str, ...]:
    """The ordered rule names for a position: "strategy/style", then "strategy/*", "*/style", "*/*"."""
    for key in (f"{strategy}/{style}", f"{strategy}/{ANY}", f"{ANY}/{style}", f"{ANY}/{ANY}"):
        names = table.get(key)
        if names is not None:
            return tuple(names)
    raise DataError(f"exits: no rule list for {strategy}/{style} (keys: {', '.join(sorted(table))})")


def check_table(table: Mapping[str, Sequence[str]], *families: Family) -> None:
    """Every key "strategy/style" and every name a registered rule of `families` (config validation)."""
    known = {name for family in families for name in REGISTRY.names(family)}
    family = "/".join(families)
    for key, names in table.items():
        if key.count("/") != 1:
            raise ValueError(f"exit rule list key {key!r} is not 'strategy/style' ('*' for any)")
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"unknown {family} exit rules {unknown} under {key!r}; known: {sorted(known)}")
