"""Loading the configuration: one TOML file plus environment variables, unknown keys rejected.

Environment variables use the prefix `OPTIONPILOT_` and `__` between levels, e.g.
`OPTIONPILOT_RUN__SEED=11` or `OPTIONPILOT_ENGINE__WATCHLIST_INTERVAL_MINUTES=10`. Secrets (broker keys)
are read only from the environment and are never rendered.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, SecretStr, ValidationError

from optionpilot.core.errors import ConfigError
from optionpilot.core.secrets import mask_passwords

ENV_PREFIX = "OPTIONPILOT_"
# Variables of the process, not config keys: the brokers' endpoints (issues 14, 18), the dashboard's token,
# the tests' switches.
PROCESS_VARIABLES = ("ALPACA_", "DHAN_", "DASHBOARD_", "CRASH_AT", "REQUIRE_POSTGRES", "SHARED_DATA", "TEST_")
MASK = "********"
M = TypeVar("M", bound=BaseModel)


def _set_path(tree: dict[str, Any], path: list[str], value: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"environment: {'__'.join(path)} conflicts with a value at {part}")
        node = child
    node[path[-1]] = _parse_env_value(value)


def _parse_env_value(value: str) -> Any:
    """JSON where it parses (numbers, lists, booleans), the plain string otherwise."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :]
        if rest.startswith(PROCESS_VARIABLES):
            continue
        _set_path(tree, [p.lower() for p in rest.split("__")], value)
    return tree


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc


def load_model(
    model: type[M],
    path: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> M:
    """Build `model` from the file, then the environment, then explicit overrides (e.g. CLI flags)."""
    data: dict[str, Any] = read_toml(path) if path is not None else {}
    if path is not None:
        refuse_secrets_in_file(model, data, path)
    data = _merge(data, env_overrides(os.environ if environ is None else environ))
    if overrides:
        data = _merge(data, overrides)
    source = str(path) if path is not None else "defaults and environment"
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            raise ConfigError(f"{source}: unknown config key '{where}'") from exc
        raise ConfigError(f"{source}: '{where}': {first['msg']}") from exc


def secret_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every SecretStr field of `model` and the models nested in it."""
    out: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        kinds = (info.annotation, *get_args(info.annotation))
        if SecretStr in kinds:
            out.append((*prefix, name))
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                out.extend(secret_fields(kind, (*prefix, name)))
    return out


def refuse_secrets_in_file(model: type[BaseModel], data: Mapping[str, Any], path: Path) -> None:
    """A secret written in a config file is refused: files get copied, committed and shared."""
    for where in secret_fields(model):
        node: Any = data
        for part in where:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            env = ENV_PREFIX + "__".join(where).upper()
            raise ConfigError(
                f"config file {path}: '{'.'.join(where)}' is a secret; remove it from the file and set {env}"
            )


def masked_dump(model: BaseModel) -> dict[str, Any]:
    """The configuration as plain data, every secret replaced by a mask, URL passwords too."""

    def walk(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return MASK if value.get_secret_value() else ""
        if isinstance(value, str):
            return mask_passwords(value)
        if isinstance(value, BaseModel):
            return {k: walk(getattr(value, k)) for k in type(value).model_fields}
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return walk(model)  # type: ignore[no-any-return]
