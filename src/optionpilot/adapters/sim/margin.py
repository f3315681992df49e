"""Margin on short positions: pure functions of holdings, marks and spots.

The account is a cash account that may write options against collateral. Buying power is
cash minus `assess(...).total`. The rules, per underlying:

- Long options and long stock are paid in full: no requirement.
- A short call is covered first by long shares (covered call: nothing), then by a long call of the
  same underlying and multiplier expiring on or after it (a spread: its max loss, the strike
  difference when the long strike is higher, else nothing), choosing the cheapest cover first.
- A short put is covered by a long put expiring on or after it: the strike difference when the long
  strike is lower, else nothing.
- Iron condors: when a short expiry has both call spreads and put spreads and every short put
  strike is at or below every short call strike, only one side can lose at expiry, so the
  requirement is the larger side, not their sum.
- Uncovered calls (Reg-T): the option's current value plus the larger of `naked_pct` of the
  underlying less the out-of-the-money amount and `naked_min_pct` of the underlying
  (`naked_index_pct` instead of `naked_pct` for cash-settled index options).
- Uncovered puts: cash-secured by default (strike x multiplier); with `short_put_rule = "reg_t"` the
  option's value plus the larger of `naked_pct` of the underlying less the OTM amount and
  `naked_min_pct` of the strike.
- Short stock: `short_stock_pct` (Reg-T 150%) of its market value; the sale proceeds sit in cash.

The premium a short received is already in cash, so a credit spread costs its max loss in buying
power, a cash-secured put strike x multiplier less the premium. The greedy pairing may require a
little more than the cheapest possible pairing, never less than the true worst loss.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.money import ZERO
from optionpilot.domain.instruments import Instrument, OptionContract, Settlement


class ShortPutRule(StrEnum):
    CASH_SECURED = "cash_secured"
    REG_T = "reg_t"


class MarginConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    naked_pct: Decimal = Field(default=Decimal("0.20"), ge=0, le=1)
    naked_index_pct: Decimal = Field(default=Decimal("0.15"), ge=0, le=1)
    naked_min_pct: Decimal = Field(default=Decimal("0.10"), ge=0, le=1)
    short_put_rule: ShortPutRule = ShortPutRule.CASH_SECURED
    allow_naked_calls: bool = True
    short_stock_pct: Decimal = Field(default=Decimal("1.50"), ge=1)


@dataclass(frozen=True, slots=True)
class Holding:
    instrument: Instrument
    quantity: int  # signed: + long, - short
    mark: Decimal  # the current per-share value (option mid, stock price)


@dataclass(frozen=True, slots=True)
class Margin:
    total: Decimal
    naked_call_contracts: int = 0
    lines: tuple[str, ...] = field(default_factory=tuple)  # one per rule applied, for reasons and logs


def spread_requirement(short: OptionContract, long: OptionContract, contracts: int) -> Decimal:
    """Max loss of `contracts` spreads of a short covered by a long of the same right."""
    if short.right is not long.right:
        raise ValueError(f"spread of {short.key} and {long.key}: rights differ")
    width = long.strike - short.strike if short.is_call else short.strike - long.strike
    return max(width, ZERO) * short.multiplier * contracts


def naked_call_requirement(
    contract: OptionContract, contracts: int, spot: Decimal, mark: Decimal, config: MarginConfig
) -> Decimal:
    pct = config.naked_index_pct if contract.settlement is Settlement.CASH else config.naked_pct
    otm = max(contract.strike - spot, ZERO)
    per_share = mark + max(pct * spot - otm, config.naked_min_pct * spot)
    return per_share * contract.multiplier * contracts


def naked_put_requirement(
    contract: OptionContract, contracts: int, spot: Decimal, mark: Decimal, config: MarginConfig
) -> Decimal:
    pct = config.naked_index_pct if contract.settlement is Settlement.CASH else config.naked_pct
    otm = max(spot - contract.strike, ZERO)
    per_share = mark + max(pct * spot - otm, config.naked_min_pct * contract.strike)
    return per_share * contract.multiplier * contracts


def cash_secured_put_requirement(contract: OptionContract, contracts: int) -> Decimal:
    return contract.strike * contract.multiplier * contracts


def short_stock_requirement(shares: int, price: Decimal, config: MarginConfig) -> Decimal:
    return config.short_stock_pct * price * abs(shares)


@dataclass(slots=True)
class _Open:
    contract: OptionContract
    left: int  # contracts not yet paired (signed until split into shorts and longs)
    mark: Decimal


@dataclass(slots=True)
class _Sides:
    call: Decimal = ZERO
    put: Decimal = ZERO
    min_short_call: Decimal | None = None
    max_short_put: Decimal | None = None


def assess(holdings: Sequence[Holding], spots: Mapping[str, Decimal], config: MarginConfig) -> Margin:
    """The requirement of a whole account. `spots` must hold every underlying with a short option."""
    options: dict[str, list[_Open]] = defaultdict(list)
    shares: dict[str, int] = defaultdict(int)
    total = ZERO
    lines: list[str] = []
    for h in holdings:
        if h.quantity == 0:
            continue
        if isinstance(h.instrument, OptionContract):
            options[h.instrument.underlying].append(_Open(h.instrument, h.quantity, h.mark))
        else:
            shares[h.instrument.symbol] += h.quantity
            if h.quantity < 0:
                req = short_stock_requirement(h.quantity, h.mark, config)
                total += req
                lines.append(f"short stock {h.instrument.symbol} x{-h.quantity}: {req:.2f}")
    naked_calls = 0
    for underlying in sorted(options):
        req, naked, under_lines = _underlying_requirement(
            options[underlying], max(shares.get(underlying, 0), 0), spots, config
        )
        total += req
        naked_calls += naked
        lines.extend(under_lines)
    return Margin(total=total, naked_call_contracts=naked_calls, lines=tuple(lines))


def _underlying_requirement(
    held: list[_Open], long_shares: int, spots: Mapping[str, Decimal], config: MarginConfig
) -> tuple[Decimal, int, list[str]]:
    shorts = [_Open(o.contract, -o.left, o.mark) for o in held if o.left < 0]
    longs = [_Open(o.contract, o.left, o.mark) for o in held if o.left > 0]
    if not shorts:
        return ZERO, 0, []
    shorts.sort(key=lambda o: (o.contract.expiry, o.contract.right.value, o.contract.strike))
    sides: dict[date, _Sides] = defaultdict(_Sides)
    total = ZERO
    naked_calls = 0
    lines: list[str] = []
    for short in shorts:
        c = short.contract
        if c.is_call and long_shares >= c.multiplier:
            covered = min(short.left, long_shares // c.multiplier)
            long_shares -= covered * c.multiplier
            short.left -= covered
        while short.left > 0:
            cover = _best_cover(short.contract, longs)
            if cover is None:
                break
            n = min(short.left, cover.left)
            short.left -= n
            cover.left -= n
            req = spread_requirement(c, cover.contract, n)
            side = sides[c.expiry]
            if c.is_call:
                side.call += req
                side.min_short_call = (
                    c.strike if side.min_short_call is None else min(side.min_short_call, c.strike)
                )
            else:
                side.put += req
                side.max_short_put = (
                    c.strike if side.max_short_put is None else max(side.max_short_put, c.strike)
                )
            lines.append(f"spread {c.key}/{cover.contract.key} x{n}: {req:.2f}")
        if short.left > 0:
            req = _naked(short, spots, config)
            if c.is_call:
                naked_calls += short.left
            total += req
            lines.append(f"uncovered {c.key} x{short.left}: {req:.2f}")
    for expiry in sorted(sides):
        s = sides[expiry]
        condor = (
            s.min_short_call is not None
            and s.max_short_put is not None
            and s.max_short_put <= s.min_short_call
        )
        total += max(s.call, s.put) if condor else s.call + s.put
    return total, naked_calls, lines


def _best_cover(short: OptionContract, longs: list[_Open]) -> _Open | None:
    """The long that makes the cheapest spread with `short`: lowest call strike, highest put strike."""
    best: _Open | None = None
    for cand in longs:
        lc = cand.contract
        if (
            cand.left <= 0
            or lc.right is not short.right
            or lc.multiplier != short.multiplier
            or lc.expiry < short.expiry
        ):
            continue
        if best is None:
            best = cand
            continue
        better = lc.strike < best.contract.strike if short.is_call else lc.strike > best.contract.strike
        same = lc.strike == best.contract.strike and lc.expiry < best.contract.expiry
        if better or same:
            best = cand
    return best


def _naked(short: _Open, spots: Mapping[str, Decimal], config: MarginConfig) -> Decimal:
    c = short.contract
    if not c.is_call and config.short_put_rule is ShortPutRule.CASH_SECURED:
        return cash_secured_put_requirement(c, short.left)
    spot = spots.get(c.underlying)
    if spot is None:
        raise KeyError(f"margin on uncovered {c.key} needs the spot of {c.underlying}, which was not given")
    if c.is_call:
        return naked_call_requirement(c, short.left, spot, short.mark, config)
    return naked_put_requirement(c, short.left, spot, short.mark, config)
