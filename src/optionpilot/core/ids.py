"""Typed ids and id makers.

Position and recommendation ids count up per run (`<prefix>-<run>-<n>`). Client order ids and
execution ids must be unique across processes that share nothing, so they are made like this:

    <run prefix, 6>-<time, 9><sequence, 2><random, 8>      e.g. `k3v9qa-0mfx2k1ab01x8f03kq2`

The time is the injected clock's, in milliseconds, base 36 (so ids sort by time within a run); the
sequence orders the ids one process makes in the same millisecond (a backtest's clock stands still
for a whole tick); the random part comes from `secrets`, never from the wall clock, so two
processes with the same run prefix at the same clock time still differ (36^8, about 2^41, values).
26 characters of [a-z0-9-]: fits Dhan's correlationId (30 of [A-Za-z0-9_-]) and Alpaca (128).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import NewType

AccountId = NewType("AccountId", str)
ClientOrderId = NewType("ClientOrderId", str)
BrokerOrderId = NewType("BrokerOrderId", str)
PositionId = NewType("PositionId", str)
RecommendationId = NewType("RecommendationId", str)
FillId = NewType("FillId", str)
ExecutionId = NewType("ExecutionId", str)

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_RANDOM_CHARS = 8
_SEQUENCE_CHARS = 2
_TIME_CHARS = 9  # 36^9 ms is about 3,000 years after 1970
MAX_ID_CHARS = 30  # Dhan's correlationId


def _base36(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, d = divmod(n, 36)
        out.append(_DIGITS[d])
    return "".join(reversed(out))


def run_prefix(run_tag: str) -> str:
    """Six characters naming a run in its ids; the same tag always gives the same prefix."""
    digest = int.from_bytes(hashlib.blake2b(run_tag.encode(), digest_size=8).digest(), "big")
    return _base36(digest, 6)


class IdMaker:
    """Makes the ids of one run; client order and execution ids are unique without coordination."""

    def __init__(self, run_tag: str) -> None:
        self._run = run_tag
        self.prefix = run_prefix(run_tag)
        self._counters: dict[str, int] = {}
        self._last_ms = -1
        self._sequence = 0

    def next(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}-{self._run}-{n:06d}"

    def unique(self, at: datetime, kind: str = "") -> str:
        """`kind` (one letter or none) tells order ids from execution ids at a glance."""
        ms = int(at.timestamp() * 1000)
        if ms == self._last_ms:
            self._sequence = (self._sequence + 1) % 36**_SEQUENCE_CHARS
        else:
            self._last_ms, self._sequence = ms, 0
        random_part = _base36(secrets.randbelow(36**_RANDOM_CHARS), _RANDOM_CHARS)
        made = (
            f"{kind}{self.prefix}-{_base36(ms, _TIME_CHARS)}"
            f"{_base36(self._sequence, _SEQUENCE_CHARS)}{random_part}"
        )
        return made

    def client_order_id(self, at: datetime) -> ClientOrderId:
        return ClientOrderId(self.unique(at))

    def execution_id(self, at: datetime) -> ExecutionId:
        return ExecutionId(self.unique(at, "x"))

    def position_id(self) -> PositionId:
        return PositionId(self.next("pos"))

    def recommendation_id(self) -> RecommendationId:
        return RecommendationId(self.next("rec"))
