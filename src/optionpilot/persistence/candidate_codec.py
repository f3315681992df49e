"""Strategy candidates to and from their stored records: what the scan stores, the allocator reads back."""

from __future__ import annotations

from optionpilot.core.calendars import MARKETS
from optionpilot.core.errors import ConfigError
from optionpilot.decisions.strategies.candidates import Conviction, StrategyCandidate
from optionpilot.decisions.strategies.catalog import StrategyType
from optionpilot.domain.instruments import OptionContract
from optionpilot.persistence.scan_records import StrategyCandidateRecord
from optionpilot.persistence.strategy_store import StoredCandidate


def candidate_record(c: StrategyCandidate) -> StrategyCandidateRecord:
    comps = dict(c.components)
    # Not columns of the table, but allocation and display want them back.
    comps.update(confidence=c.confidence, spread_pct=c.spread_pct, sigma=c.sigma)
    return StrategyCandidateRecord(
        candidate_id=c.candidate_id,
        ts=c.ts,
        underlying=c.underlying,
        strategy_type=c.strategy.value,
        legs=c.legs,
        net_premium=c.net_debit * c.multiplier,
        max_profit=c.max_profit,
        max_loss=c.max_loss,
        breakevens=c.breakevens,
        pop=c.pop,
        expected_value=c.expected_value,
        margin=c.margin,
        score=c.score,
        conviction=c.conviction.value,
        reason=c.reason,
        delta=c.delta,
        gamma=c.gamma,
        vega=c.vega,
        theta=c.theta,
        score_components=comps,
    )


def candidate_from(s: StoredCandidate) -> StrategyCandidate:
    """A stored candidate as the allocator and the desk take it (spread and sigma from its components)."""
    options = [leg.instrument for leg in s.legs if isinstance(leg.instrument, OptionContract)]
    if not options:
        raise ConfigError(f"stored candidate {s.candidate_id} has no option leg")
    first = options[0]
    expiry = min(o.expiry for o in options)
    mult = first.multiplier
    comps = dict(s.score_components)
    return StrategyCandidate(
        candidate_id=s.candidate_id,
        ts=s.ts,
        underlying=s.underlying,
        currency=MARKETS[first.market].currency,
        strategy=StrategyType(s.strategy_type),
        legs=s.legs,
        expiry=expiry,
        dte=(expiry - s.ts.date()).days,
        multiplier=mult,
        net_debit=s.net_premium / mult,
        net_debit_mid=s.net_premium / mult,
        max_profit=s.max_profit,
        max_loss=s.max_loss,
        breakevens=s.breakevens,
        pop=s.pop,
        expected_value=s.expected_value,
        delta=s.delta,
        gamma=s.gamma,
        vega=s.vega,
        theta=s.theta,
        margin=s.margin,
        spread_pct=comps.pop("spread_pct", 0.0),
        sigma=comps.pop("sigma", 0.0),
        reason=s.reason,
        score=s.score,
        confidence=comps.pop("confidence", s.score),
        conviction=Conviction(s.conviction),
        components=comps,
    )
