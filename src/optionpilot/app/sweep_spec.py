"""A sweep's spec (a TOML file): base config, period, seed, objective and the parameter grid.

```toml
days = 2                 # or start = "2026-01-05" and end = "2026-01-16"
seed = 11
objective = "sharpe"
config = "base.toml"     # optional, relative to the spec
[grid]
"strategy.exits.profit_target" = ["0.40", "0.50", "0.60", "0.70"]
"strategy.exits.stop_loss" = ["0.20", "0.25", "0.30", "0.35"]
```
A grid entry is a list of values, or a table `{ from = 0.2, to = 0.4, step = 0.05 }` (decimal steps, ends
included). Every combination is one parameter set.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from optionpilot.app.settings import read_toml
from optionpilot.core.errors import ConfigError

# Objectives a sweep ranks by; all but max_drawdown are better higher.
Objective = Literal[
    "sharpe", "sortino", "profit_factor", "total_return", "net_pnl", "win_rate", "max_drawdown"
]

Value = str | int | float | bool


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int | None = Field(default=None, ge=1, le=400)
    start: date | None = None
    end: date | None = None
    seed: int = 7
    objective: Objective = "sharpe"
    max_drawdown_cap: float | None = Field(
        default=None, gt=0, le=1, description="a set whose drawdown goes deeper ranks after every other"
    )
    config: str | None = None
    account: str | None = Field(default=None, description="the account scored (default: the first)")
    symbols: str | None = None
    flow: Literal["both", "main", "multileg"] = "both"
    data: str | None = Field(
        default=None, description="a market-data store to replay instead of the simulator"
    )
    grid: dict[str, list[Value]] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _ranges(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("grid"), dict):
            data = {**data, "grid": {k: _values(k, v) for k, v in data["grid"].items()}}
        return data


def _values(key: str, value: Any) -> Any:
    """A `{from, to, step}` table as its list of decimal strings; anything else as given."""
    if not isinstance(value, dict):
        return value
    if set(value) != {"from", "to", "step"}:
        raise ValueError(f"grid.{key}: a range is {{ from = ..., to = ..., step = ... }}")
    try:
        lo, hi, step = (Decimal(str(value[k])) for k in ("from", "to", "step"))
    except InvalidOperation:
        raise ValueError(f"grid.{key}: from, to and step must be numbers") from None
    if step <= 0 or hi < lo or (hi - lo) / step > 1000:
        raise ValueError(f"grid.{key}: from <= to and a positive step, at most 1000 values")
    out, x = [], lo
    while x <= hi:
        out.append(str(x.quantize(step)))  # 0.20, 0.25, 0.30: every value written to the step's places
        x += step
    return out


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    spec: SweepSpec
    path: Path
    base: dict[str, Any]  # the base configuration file's content ({} without one)
    sweep_id: str

    @property
    def base_path(self) -> Path | None:
        return (self.path.parent / self.spec.config) if self.spec.config else None

    def data_path(self) -> Path | None:
        return (self.path.parent / self.spec.data) if self.spec.data else None

    def parameter_sets(self) -> list[dict[str, Value]]:
        """Every combination of the grid, in the grid's order (the last key varies fastest)."""
        keys = list(self.spec.grid)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*self.spec.grid.values())]


def load_spec(path: Path) -> LoadedSpec:
    if not path.is_file():
        raise ConfigError(f"sweep spec {path}: no such file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sweep spec {path}: {str(exc).splitlines()[0]}") from None
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "spec"
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"sweep spec {path}: unknown key '{where}'") from None
        raise ConfigError(f"sweep spec {path}: '{where}': {first['msg']}") from None
    if spec.days is not None and spec.start is not None and spec.end is not None:
        raise ConfigError(f"sweep spec {path}: days with both start and end; give two of the three")
    base_path = (path.parent / spec.config) if spec.config else None
    if base_path is not None and not base_path.is_file():
        raise ConfigError(f"sweep spec {path}: config = {spec.config!r}: no such file at {base_path}")
    base = read_toml(base_path) if base_path is not None else {}
    # The sweep's identity: what it runs, not where its files live. The same spec resumes the same sweep.
    identity = {"spec": spec.model_dump(mode="json", exclude={"config"}), "base": base}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
    return LoadedSpec(spec, path, base, f"sw-{digest[:10]}")


def nested(params: dict[str, Value]) -> dict[str, Any]:
    """Dotted keys as nested tables: {"a.b": 1} -> {"a": {"b": 1}}."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"grid: '{key}' goes inside '{part}', which another key sets to a value")
        node[leaf] = value
    return out


def param_key(params: dict[str, Value], window: tuple[str, str], role: str, seed: int) -> str:
    """How a resumed sweep recognises a backtest it has done: parameters, window, role and seed."""
    text = json.dumps({"p": params, "w": window, "r": role, "s": seed}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
