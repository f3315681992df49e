"""ATM implied volatility as seen in Alpaca's chains, recorded per session, since Alpaca keeps no IV history.

Each chain refresh records the symbol's 30-day ATM IV for the session (the last refresh of a day wins, so
a run that watches the close records the close). The record lives in memory and, when given a path, in a
small JSON file that later runs read back; `history` returns only what was seen, so a new install starts
with none and the IV rank signals stay off until enough sessions have been recorded.

The ATM IV: per expiry at least `min_days` out, the strike nearest the spot quoted on both sides, the mean
of its call's and put's IV; then total variance interpolated to `target_days` between the expiries around
it (the nearest one when only one side exists), as `adapters/files/iv_history.py` does for stored chains.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from optionpilot.core.errors import ConfigError
from optionpilot.domain.chains import ChainSnapshot

log = logging.getLogger(__name__)


def atm_iv(
    chain: ChainSnapshot, iv: np.ndarray, today: date, target_days: int = 30, min_days: int = 2
) -> float:
    """The chain's `target_days` ATM IV from per-row IVs; NaN when no expiry has a usable ATM pair."""
    points: list[tuple[float, float]] = []  # (days, iv)
    for expiry in chain.expiries():
        days = (expiry - today).days
        if days < min_days:
            continue
        rows = np.flatnonzero((chain.expiry == np.datetime64(expiry, "D")) & np.isfinite(iv) & (iv > 0))
        calls = {float(chain.strike[i]): float(iv[i]) for i in rows if chain.is_call[i]}
        puts = {float(chain.strike[i]): float(iv[i]) for i in rows if not chain.is_call[i]}
        both = sorted(set(calls) & set(puts), key=lambda k: (abs(k - chain.spot), k))
        if both:
            k = both[0]
            points.append((float(days), (calls[k] + puts[k]) / 2.0))
    if not points:
        return math.nan
    below = [p for p in points if p[0] <= target_days]
    above = [p for p in points if p[0] >= target_days]
    if not below or not above:
        return min(points, key=lambda p: abs(p[0] - target_days))[1]
    (d0, v0), (d1, v1) = max(below), min(above)
    if d1 == d0:
        return v0
    w0, w1 = v0 * v0 * d0, v1 * v1 * d1  # total variance
    w = w0 + (w1 - w0) * (target_days - d0) / (d1 - d0)
    return math.sqrt(max(w, 0.0) / target_days)


class IvRecord:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._values: dict[str, dict[date, float]] = {}
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            for symbol, days in raw.items():
                if not isinstance(days, dict):
                    raise ValueError(f"{symbol}: not an object")
                self._values[str(symbol)] = {date.fromisoformat(d): float(v) for d, v in days.items()}
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"ATM IV record {path}: cannot be read ({exc})") from None

    def record(self, symbol: str, day: date, value: float) -> None:
        if not math.isfinite(value) or value <= 0:
            return
        days = self._values.setdefault(symbol, {})
        if days.get(day) == value:
            return
        days[day] = value
        if self.path is not None:
            self._save(self.path)

    def _save(self, path: Path) -> None:
        doc = {s: {d.isoformat(): v for d, v in sorted(days.items())} for s, days in self._values.items()}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f)
            os.replace(tmp, path)
        except OSError as exc:
            # Losing the record costs the IV rank a day later, never a trade now: say so and go on.
            log.warning("ATM IV record %s not written: %s", path, exc.strerror or exc)

    def history(self, symbol: str, end: date, count: int) -> np.ndarray:
        days = self._values.get(symbol, {})
        chosen = sorted(d for d in days if d < end)
        chosen = chosen[max(len(chosen) - max(count, 0), 0) :]
        return np.asarray([days[d] for d in chosen], dtype=np.float64)
