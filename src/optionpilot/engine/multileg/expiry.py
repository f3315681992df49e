"""Expiry of option legs that two positions of one account hold long and short.

A broker holds one net quantity per contract: when a butterfly holds +5 of a call and a condor -5 of the
same call, the broker holds none, so nothing of it is settled at expiry and the book would keep both legs
forever. Once the expiry session has closed, such legs expire against each other: each side is settled
at the contract's intrinsic value at the underlying's close (the long receives it, the short pays it).
The two cash amounts cancel, so the account's cash and the broker agree; each position realizes its own
side. The settlements go through `AccountBook.apply_settlement`, like the broker's.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.core.ids import IdMaker
from optionpilot.core.money import to_tick
from optionpilot.domain.fills import ExpirySettlement, SettlementKind
from optionpilot.domain.instruments import OptionContract
from optionpilot.domain.positions import PositionLeg
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.journal import Journal
from optionpilot.ports.market_data import MarketData


def expiry_close(market: MarketData, expiry: date) -> datetime:
    """The close of the session an option expires at (the session before, when expiry is a holiday)."""
    cal = market.calendar
    day = expiry if cal.is_session(expiry) else cal.previous_session(expiry)
    return cal.session(day).close


def underlying_close(market: MarketData, symbol: str, at: datetime) -> Decimal | None:
    """The underlying's last close at `at`: a minute bar, else the daily bar of `at`'s session."""
    tick = next((u.tick for u in market.underlyings() if u.symbol == symbol), Decimal("0.01"))
    try:
        bars = market.history(symbol, at, 1)
        if len(bars):
            return to_tick(float(bars.close[-1]), tick)
        day = market.calendar.local_date(at)
        daily = market.daily_history(symbol, day + timedelta(days=1), 1)
    except (DataError, LookAheadError):
        return None
    if len(daily) == 0:
        return None
    bar_day = market.calendar.local_date(datetime.fromtimestamp(int(daily.start_s[-1]), UTC))
    return to_tick(float(daily.close[-1]), tick) if bar_day == market.calendar.local_date(at) else None


def offset_netted_expiries(
    account: AccountRuntime, market: MarketData, clock: Clock, journal: Journal, ids: IdMaker
) -> int:
    """Settle expired legs whose long and short sides cancel in the book; returns the contracts offset.

    A contract whose book quantities do not net to zero is left alone: the broker still holds it and
    settles it at its next poll.
    """
    now = clock.now()
    book = account.book
    held: dict[str, list[PositionLeg]] = {}
    closes: dict[date, datetime] = {}
    for p in book.open_positions():
        for key, leg in p.legs.items():
            inst = leg.instrument
            if leg.quantity == 0 or not isinstance(inst, OptionContract):
                continue
            close = closes.get(inst.expiry)
            if close is None:
                close = closes[inst.expiry] = expiry_close(market, inst.expiry)
            if now >= close:
                held.setdefault(key, []).append(leg)
    offset = 0
    records = journal.current
    for key in sorted(held):
        legs = held[key]
        if sum(leg.quantity for leg in legs) != 0:
            continue
        contract = legs[0].instrument
        assert isinstance(contract, OptionContract)
        price = underlying_close(market, contract.underlying, closes[contract.expiry])
        if price is None:
            continue  # no close to settle on yet; asked again at the next look
        intrinsic = contract.intrinsic(price)
        qty = sum(leg.quantity for leg in legs if leg.quantity > 0)
        why = (
            f"{key} held {qty} long and {qty} short in this account (the broker nets them and settles "
            f"nothing): expired against each other at intrinsic {intrinsic} (underlying {price})"
        )
        for signed in (qty, -qty):
            s = ExpirySettlement(
                event_id=ids.next("offset"),
                account_id=account.account_id,
                contract=contract,
                quantity=signed,
                kind=SettlementKind.EXPIRED,
                settlement_price=price,
                cash=intrinsic * contract.multiplier * signed,
                shares=0,
                ts=now,
            )
            entries, events = book.apply_settlement(s)
            records.settlements.append(s)
            records.ledger.extend(entries)
            for event in events:
                position = book.positions[event.position_id]
                if position.closed_at == now and position.exit_reason.startswith(key):
                    position.exit_reason = why
                records.position_events.append(dataclasses.replace(event, reason=why))
                records.positions.append(position)
        offset += qty
    return offset
