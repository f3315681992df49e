"""Typed ids and deterministic id makers (a backtest must produce the same ids for the same seed)."""

from __future__ import annotations

from typing import NewType

AccountId = NewType("AccountId", str)
ClientOrderId = NewType("ClientOrderId", str)
BrokerOrderId = NewType("BrokerOrderId", str)
PositionId = NewType("PositionId", str)
RecommendationId = NewType("RecommendationId", str)
FillId = NewType("FillId", str)


class IdMaker:
    """Makes ids `<prefix>-<run>-<n>`; unique per run, stable across reruns of the same run tag."""

    def __init__(self, run_tag: str) -> None:
        self._run = run_tag
        self._counters: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}-{self._run}-{n:06d}"

    def client_order_id(self, account: AccountId) -> ClientOrderId:
        return ClientOrderId(self.next(f"op{account}"))

    def position_id(self) -> PositionId:
        return PositionId(self.next("pos"))

    def recommendation_id(self) -> RecommendationId:
        return RecommendationId(self.next("rec"))
