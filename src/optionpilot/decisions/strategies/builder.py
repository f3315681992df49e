"""Build every strategy that fits a chain, measured: the scan of one chain, all in arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from optionpilot.decisions.strategies.butterflies import build_butterflies
from optionpilot.decisions.strategies.calendars import build_calendars
from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.decisions.strategies.chainview import PreparedChain, prepare_chain
from optionpilot.decisions.strategies.condors import build_condors
from optionpilot.decisions.strategies.config import GridConfig, ScanConfig
from optionpilot.decisions.strategies.covered import build_covered
from optionpilot.decisions.strategies.legs import LegBatch, gather
from optionpilot.decisions.strategies.margin import margin_per_unit
from optionpilot.decisions.strategies.metrics import BatchMetrics, measure
from optionpilot.decisions.strategies.ratios import build_ratios
from optionpilot.decisions.strategies.singles import build_singles
from optionpilot.decisions.strategies.straddles import build_straddles
from optionpilot.decisions.strategies.verticals import build_verticals
from optionpilot.domain.chains import ChainSnapshot

F64 = NDArray[np.float64]
Builder = Callable[[PreparedChain, GridConfig], list[LegBatch]]

BUILDERS: tuple[Builder, ...] = (
    build_singles,
    build_verticals,
    build_straddles,
    build_condors,
    build_butterflies,
    build_covered,
    build_calendars,
    build_ratios,
)


@dataclass(frozen=True, slots=True)
class MeasuredBatch:
    batch: LegBatch
    metrics: BatchMetrics
    margin: F64  # currency per unit

    def __len__(self) -> int:
        return len(self.batch)


@dataclass(frozen=True, slots=True)
class ChainScan:
    prepared: PreparedChain
    batches: tuple[MeasuredBatch, ...]
    dropped: dict[str, int] = field(default_factory=dict)  # candidates built, then left out, by reason

    @property
    def n_candidates(self) -> int:
        return sum(len(b) for b in self.batches)

    def types(self) -> set[StrategyType]:
        return {b.batch.strategy for b in self.batches if len(b)}


def _keep(mb: MeasuredBatch, dropped: dict[str, int]) -> MeasuredBatch:
    m = mb.metrics
    finite = np.isfinite(m.pop) & np.isfinite(m.expected_value) & np.isfinite(mb.margin)
    reasons = (
        ("a metric is not a number", ~finite),
        ("no capital at risk at natural prices (stale or crossed quotes)", finite & ~(mb.margin > 0)),
        ("cannot profit at natural prices", finite & (mb.margin > 0) & ~(m.max_profit > 0)),
    )
    bad = np.zeros(len(mb), dtype=bool)
    for why, mask in reasons:
        mask = mask & ~bad
        if mask.any():
            key = f"{mb.batch.strategy.value}: {why}"
            dropped[key] = dropped.get(key, 0) + int(mask.sum())
        bad |= mask
    if not bad.any():
        return mb
    ok = ~bad
    b = mb.batch
    batch = LegBatch(b.strategy, b.rows[ok], b.qty[ok], b.fallback[ok], b.note)
    metrics = BatchMetrics(*(getattr(m, f)[ok] for f in BatchMetrics.__slots__))
    return MeasuredBatch(batch, metrics, mb.margin[ok])


def scan_prepared(prep: PreparedChain, config: ScanConfig | None = None) -> ChainScan:
    cfg = config or ScanConfig()
    dropped: dict[str, int] = {}
    out: list[MeasuredBatch] = []
    for build in BUILDERS:
        for batch in build(prep, cfg.grid):
            if not len(batch):
                continue
            metrics = measure(prep, batch, cfg)
            margin = margin_per_unit(prep, batch, gather(prep, batch), metrics, cfg.margin)
            kept = _keep(MeasuredBatch(batch, metrics, margin), dropped)
            if len(kept):
                out.append(kept)
    return ChainScan(prep, tuple(out), dropped)


def scan_chain(
    chain: ChainSnapshot,
    config: ScanConfig | None = None,
    *,
    rate: float | None = None,
    dividend_yield: float | None = None,
) -> ChainScan:
    """Every strategy that fits `chain`, with premium, payoff, POP, EV, Greeks and margin per candidate."""
    cfg = config or ScanConfig()
    return scan_prepared(prepare_chain(chain, cfg, rate=rate, dividend_yield=dividend_yield), cfg)
