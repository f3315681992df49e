"""The multi-leg desk: enters chosen strategies through the order manager and manages the open ones.

Entries: one position per strategy, one multi-leg order of `lots` units (atomic or legged, as the broker
allows), a limit at the natural price of the legs now (a market order when legs differ in multiplier, as a
covered call's shares and option do). Every leg must have a two-sided quote when it is sent. The same
strategy is never entered twice for a symbol on one day unless forced.

Monitoring is the position manager's multi-leg half (`multileg_exits`); `monitor` runs it for this
desk's account, acting or alert-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal

from optionpilot.core.clock import Clock
from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.core.ids import IdMaker
from optionpilot.core.money import ZERO
from optionpilot.decisions.pretrade.greeks import GreekValues
from optionpilot.decisions.risk import RiskConfig
from optionpilot.decisions.strategies.candidates import StrategyCandidate
from optionpilot.decisions.strategies.screens import (
    NO_QUOTE,
    EntryState,
    screen_entry,
)
from optionpilot.domain.instruments import Stock
from optionpilot.domain.orders import OrderLeg, OrderType
from optionpilot.domain.positions import Position, PositionStatus
from optionpilot.domain.recommendations import Decision
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.entries.dispatch import (
    CAPITAL_UNIT,
    SLEEVE,
    AccountDispatcher,
    held_sides,
    net_greeks_for_caps,
)
from optionpilot.engine.entries.greeks import stamp_entry_greeks
from optionpilot.engine.journal import Journal
from optionpilot.engine.marks import Marker
from optionpilot.engine.multileg.config import StrategiesConfig
from optionpilot.engine.multileg.exits import (
    EXIT_DUE,
    META_FLOW,
    MonitorRow,
    MultiLegExits,
    broken_because,
    entry_shape,
    loss_limit,
    open_positions,
    tradeable,
)
from optionpilot.engine.multileg.expiry import offset_netted_expiries
from optionpilot.ports.market_data import MarketData

# Re-exported: the monitoring half moved to `multileg_exits`; callers of the desk still import them here.
__all__ = [
    "EXIT_DUE",
    "META_FLOW",
    "MonitorRow",
    "MultiLegDesk",
    "broken_because",
    "entry_shape",
    "fill_day",
    "natural_price",
    "strategy_meta",
    "tradeable",
]


def strategy_meta(candidate: StrategyCandidate, lots: int) -> dict[str, str]:
    """What the exit rules need later, kept on the position (and so in the database)."""
    first = candidate.legs[0]
    return {
        "flow": META_FLOW,
        "candidate_id": candidate.candidate_id,
        "units": str(lots),
        "unit_leg": first.instrument.key,
        "unit_ratio": str(first.ratio),
        "max_profit_unit": "" if candidate.max_profit is None else str(candidate.max_profit),
        "max_loss_unit": "" if candidate.max_loss is None else str(candidate.max_loss),
        "legs": ";".join(f"{leg.instrument.key}={leg.side.sign * leg.ratio}" for leg in candidate.legs),
        SLEEVE: "multileg",
        CAPITAL_UNIT: str(candidate.margin),
    }


def fill_day(market: MarketData, now: datetime) -> date:
    """The session an order sent now works in: today's while it is open, else the next one."""
    cal = market.calendar
    today = cal.local_date(now)
    if cal.is_session(today) and now < cal.session(today).close:
        return today
    return cal.next_session(today)


def entries_today(positions: Iterable[Position], day: date, zone: tzinfo) -> dict[tuple[str, str], str]:
    """(symbol, strategy) -> position id opened on `day` (entries that never filled do not count)."""
    out: dict[tuple[str, str], str] = {}
    for p in positions:
        failed = p.status is PositionStatus.CLOSED and p.entry_cost == 0 and p.is_flat
        if not failed and p.opened_at.astimezone(zone).date() == day:
            out.setdefault((p.underlying, p.strategy_type), p.position_id)
    return out


def natural_price(market: MarketData, legs: Sequence[OrderLeg]) -> Decimal | None:
    """Net per share of one unit: buys at the ask, sells at the bid; None when a leg lacks a quote."""
    total = ZERO
    for leg in legs:
        inst = leg.instrument
        if isinstance(inst, Stock):
            price = Decimal(repr(round(market.spot(inst.symbol), 4)))
        else:
            q = market.quote(inst)
            if q is None or q.bid <= 0 or q.ask <= 0 or q.bid > q.ask or q.bid_size <= 0 or q.ask_size <= 0:
                return None
            price = q.ask if leg.side.sign > 0 else q.bid
        total += leg.side.sign * leg.ratio * price
    return total


class MultiLegDesk:
    def __init__(
        self,
        account: AccountRuntime,
        market: MarketData,
        clock: Clock,
        journal: Journal,
        ids: IdMaker,
        config: StrategiesConfig,
        risk: RiskConfig | None = None,
    ) -> None:
        self.account = account
        self.market = market
        self.clock = clock
        self.journal = journal
        self.ids = ids
        self.config = config
        self.risk = risk or RiskConfig()
        self.marker = Marker(market)
        self.exits = MultiLegExits(account, market, self.marker)

    @property
    def last_mark(self) -> dict[str, Decimal]:
        return self.marker.last_mark

    # -- entries ----------------------------------------------------------------------------------------

    def entry_state(self, *, force: bool = False) -> EntryState:
        """What an entry sent now is screened against: the account's legs, open entries and today's entries.

        Legs of entry orders still working count on their side (their size is not known until they fill).
        """
        now = self.clock.now()
        cal = self.market.calendar
        today = cal.local_date(now)
        book = self.account.book
        held = held_sides(self.account)
        exits = self.config.exits
        return EntryState(
            today=today,
            fill_day=fill_day(self.market, now),
            held=held,
            entered=entries_today(book.positions.values(), today, cal.zone),
            dte_exit_short_premium=exits.dte_exit_short_premium,
            dte_exit_other=exits.dte_exit_other,
            force=force,
        )

    def natural_or_why(self, candidate: StrategyCandidate) -> tuple[Decimal | None, str]:
        """The natural price of one unit now, or None and why not."""
        try:
            net = natural_price(self.market, candidate.legs)
        except (DataError, LookAheadError) as exc:
            return None, str(exc)
        return net, NO_QUOTE

    def screen(self, candidate: StrategyCandidate, lots: int, *, force: bool = False) -> Decision[Decimal]:
        """`screens.screen_entry` on this account and market now: the natural price, or why not."""
        net, why = self.natural_or_why(candidate) if lots > 0 else (None, NO_QUOTE)
        return screen_entry(candidate, lots, self.entry_state(force=force), net, why)

    def _values(self, candidate: StrategyCandidate, lots: int) -> GreekValues:
        """The strategy's Greeks in currency for the caps scaled to equity (`decisions.pretrade.greeks`)."""
        if not self.risk.greek_caps.enabled:
            return GreekValues()
        s = self.market.spot(candidate.underlying)
        return GreekValues(
            candidate.delta * lots * s, candidate.gamma * lots * s * s / 100.0, candidate.vega * lots
        )

    def enter(
        self, candidate: StrategyCandidate, lots: int, *, reason: str, force: bool = False
    ) -> Decision[Position]:
        screened = self.screen(candidate, lots, force=force)
        if screened.value is None:
            return Decision.no(screened.reason, screened.rule)
        net = screened.value
        now = self.clock.now()
        # The same gate as the intraday signals: the multileg sleeve's budget and the account's caps.
        admitted = AccountDispatcher(self.account, self.risk).admit(
            sleeve="multileg",
            trade_style="multileg",
            cost=candidate.margin * lots,
            legs=candidate.legs,
            snapshot=self.account.broker.account(),
            net=net_greeks_for_caps(self.marker, self.risk, self.account, now),
            delta=candidate.delta * lots,
            vega=candidate.vega * lots,
            values=self._values(candidate, lots),
        )
        if not admitted.ok:
            return Decision.no(f"{candidate.candidate_id}: {admitted.reason}", admitted.rule)
        book = self.account.book
        mixed = len({leg.instrument.multiplier for leg in candidate.legs}) > 1
        position = Position(
            position_id=self.ids.position_id(),
            account_id=self.account.account_id,
            underlying=candidate.underlying,
            strategy_type=candidate.strategy.value,
            opened_at=now,
            entry_reason=f"{reason}; {candidate.reason}",
            meta=strategy_meta(candidate, lots),
        )
        stamp_entry_greeks(position, self.market, candidate.legs, now)
        book.add_position(position)
        self.journal.current.positions.append(position)
        self.account.orders.place(
            candidate.legs,
            lots,
            position_id=position.position_id,
            purpose="entry",
            reason=f"{candidate.strategy.value} x{lots}: {reason}",
            order_type=OrderType.MARKET if mixed else OrderType.LIMIT,
            limit_price=None if mixed else net,
        )
        kind = "market" if mixed else f"limit {net}"
        return Decision.yes(
            position, f"entry sent: {lots} x {candidate.strategy.value} ({kind})", "multileg.entry"
        )

    # -- monitoring -------------------------------------------------------------------------------------

    def open_positions(self) -> list[Position]:
        return open_positions(self.account)

    def offset_expired(self) -> int:
        """Legs held long and short in this account expire against each other (see `multileg_expiry`)."""
        return offset_netted_expiries(self.account, self.market, self.clock, self.journal, self.ids)

    def monitor(self, *, act: bool) -> list[MonitorRow]:
        """The position manager's multi-leg half (`multileg_exits`), acting unless `act` is False."""
        limit = loss_limit(self.account, self.risk)
        return self.exits.monitor(self.clock.now(), self.config.exits, act=act, loss_limit=limit)

    def close_all(self, p: Position, reason: str, rule: str) -> bool:
        self.exits.now = self.clock.now()
        return self.exits.close_all(p, reason, rule)
