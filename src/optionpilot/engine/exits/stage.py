"""The position manager stage: every look, each open position against its exit rules, on its own quotes.

Single-leg options and stock are judged here, one position at a time; multi-leg strategies (the positions
of the multileg flow) by `MultiLegExits` in arrays. `run(..., act=False)` is alert-only: it returns what
the rules say without sending orders or changing positions (the `monitor` verb).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from decimal import Decimal

from optionpilot.core.money import to_decimal
from optionpilot.decisions.exits import (
    ExitAction,
    MultiLegExitConfig,
    PositionView,
    StockView,
    Urgency,
    evaluate_exit,
    evaluate_stock_exit,
    propose_roll,
)
from optionpilot.decisions.exits.rolls import nearest_quoted
from optionpilot.domain.instruments import OptionContract, Stock
from optionpilot.domain.orders import OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position, PositionEventKind, PositionLeg, PositionStatus
from optionpilot.domain.recommendations import PositionEvent
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.exits.rolls import send_roll
from optionpilot.engine.marks import Marker, delta_theta, greeks_at_iv, option_iv
from optionpilot.engine.multileg.exits import META_FLOW, MonitorRow, MultiLegExits, loss_limit
from optionpilot.engine.rules import Rules
from optionpilot.engine.ticker import Tick
from optionpilot.ports.market_data import MarketData
from optionpilot.signals.features import Features

META_ENTRY_IV = "entry_iv"  # meta: implied vol of the entry fill ("" when it has none)


class ExitStage:
    """The one position manager: single-leg options and stock here, multi-leg strategies through
    `MultiLegExits` (seed 004's evaluator), every look; alert-only (`act=False`) it only flags."""

    def __init__(
        self, market: MarketData, marker: Marker, rules: Rules, multileg: MultiLegExitConfig | None = None
    ) -> None:
        self.market = market
        self.marker = marker
        self.rules = rules
        self.multileg = multileg or MultiLegExitConfig()
        self._multileg: dict[str, MultiLegExits] = {}

    def run(
        self,
        tick: Tick,
        account: AccountRuntime,
        features: dict[str, Features],
        *,
        act: bool = True,
        multileg_due: bool = True,
    ) -> list[MonitorRow]:
        """Every position of `account`; the multi-leg ones only when `multileg_due` (they are managed at
        the multileg flow's own pace, `strategies.flow.step_minutes`)."""
        rows: list[MonitorRow] = []
        multileg = False
        limit = loss_limit(account, self.rules.risk)
        for position in account.book.open_positions():
            if position.meta.get("flow") == META_FLOW:
                multileg = True
                continue
            if account.orders.open_orders(position.position_id):
                continue
            if act and position.status is PositionStatus.CLOSING and not position.is_flat:
                # The exit order ended without closing it all (rejected, expired): manage it again.
                position.status = PositionStatus.OPEN
            if position.status is not PositionStatus.OPEN:
                continue
            legs = [leg for leg in position.legs.values() if leg.quantity != 0]
            options = [leg for leg in legs if isinstance(leg.instrument, OptionContract)]
            stocks = [leg for leg in legs if isinstance(leg.instrument, Stock)]
            row = None
            if len(options) == 1 and not stocks and options[0].quantity > 0:
                f = features.get(position.underlying)
                row = self._option(tick, account, position, options[0], f, act, limit)
            elif stocks and not options:
                row = self._stock(tick, account, position, stocks[0], act, limit)
            if row is not None:
                rows.append(row)
        if multileg and multileg_due:
            rows += self.multileg_exits(account).monitor(tick.now, self.multileg, act=act, loss_limit=limit)
        return rows

    def multileg_exits(self, account: AccountRuntime) -> MultiLegExits:
        """The multi-leg half for `account` (it keeps per-position shape checks between looks)."""
        found = self._multileg.get(account.account_id)
        if found is None:
            found = self._multileg[account.account_id] = MultiLegExits(account, self.market, self.marker)
        return found

    def _option(
        self,
        tick: Tick,
        account: AccountRuntime,
        position: Position,
        leg: PositionLeg,
        f: Features | None,
        act: bool,
        limit: float | None = None,
    ) -> MonitorRow | None:
        contract = leg.instrument
        assert isinstance(contract, OptionContract)
        now = tick.now
        mark = self.marker.option_mark(contract)
        quote = self.market.quote(contract) if mark is not None else None
        spot = self.market.spot(contract.underlying)
        delta: float | None = None
        theta: float | None = None
        iv = option_iv(self.market, contract, float(mark), now) if mark is not None else None
        if iv is not None:
            delta, theta = delta_theta(greeks_at_iv(self.market, contract, iv, now))
        meta = position.meta
        direction = meta.get("direction", "bullish")
        style = meta.get("trade_style", "swing_trade")
        trend = 0
        if f is not None:
            # A 7-30 DTE swing rides the daily trend; a 1-minute flip is noise to it.
            trend = f.daily_trend if style == "swing_trade" else f.trend_state
        flipped = (direction == "bullish" and trend < 0) or (direction == "bearish" and trend > 0)
        # Gains are measured from what was paid (the average entry fill), not the limit asked for.
        entry_price = leg.avg_price if leg.avg_price > 0 else Decimal(meta.get("entry_price", "0"))
        view = PositionView(
            trade_style=style,
            is_call=contract.is_call,
            entry_price=entry_price,
            peak_price=max(position.peak_value, entry_price),
            option_price=mark,
            underlying_price=spot,
            underlying_entry=float(meta.get("underlying_entry", spot)),
            quantity=leg.quantity,
            original_quantity=int(meta.get("original_quantity", leg.opened_quantity)),
            dte=(contract.expiry - self.market.calendar.local_date(now)).days,
            minutes_held=int((now - position.opened_at).total_seconds() // 60),
            minutes_to_close=int((tick.session.close - now).total_seconds() // 60),
            days_held=(
                self.market.calendar.local_date(now) - self.market.calendar.local_date(position.opened_at)
            ).days,
            partials_taken=position.partials_taken,
            delta=delta,
            theta_per_day=theta,
            sma20=f.sma20 if f is not None else None,
            trend_flipped=flipped,
            is_long=True,
            sell_price=quote.bid if quote is not None else None,
            entry_iv=self._entry_iv(position, contract, entry_price),
            iv=iv,
            realized_vol=f.realized_vol if f is not None else None,
            short_move_sigma=self._short_move_sigma(f),
            entry_dte=(contract.expiry - self.market.calendar.local_date(position.opened_at)).days,
            loss_limit=limit,
            multiplier=contract.multiplier,
        )
        decision = evaluate_exit(view, self.rules.exits)
        signal = decision.value
        if signal is None:
            return None
        row = _row(position, leg, view, signal.action, decision.rule, decision.reason, mark)
        if not act:
            return row
        if signal.peak_price is not None:
            position.peak_value = signal.peak_price
        if signal.action is ExitAction.HOLD:
            if position.meta.get("scale_in_add_on") and mark is not None and not flipped:
                self._maybe_scale_in(account, position, leg, entry_price, mark, now)
                return row
            if self.rules.exits.rolls:
                self._maybe_roll(account, position, leg, view, now)
            return row
        qty = leg.quantity if signal.action is ExitAction.CLOSE else min(signal.quantity, leg.quantity)
        if qty <= 0:
            return row
        position.partials_taken = signal.partials_taken
        self._close(account, position, leg, qty, decision.reason, decision.rule, now, mark)
        return dataclasses.replace(row, acted=True)

    def _entry_iv(self, position: Position, contract: OptionContract, entry_price: Decimal) -> float | None:
        """The implied vol paid at entry (from the entry fill and the underlying then), kept in meta."""
        text = position.meta.get(META_ENTRY_IV)
        if text is None:
            spot = position.meta.get("underlying_entry")
            iv = None
            if spot is not None and entry_price > 0:
                at = position.opened_at
                iv = option_iv(self.market, contract, float(entry_price), at, spot=float(spot))
            text = position.meta[META_ENTRY_IV] = "" if iv is None else f"{iv:.6f}"
        return float(text) if text else None

    def _short_move_sigma(self, f: Features | None) -> float | None:
        """The features' short-window return in standard deviations of the realized vol over that window."""
        if f is None or not math.isfinite(f.realized_vol) or f.realized_vol <= 0:
            return None
        fc = self.rules.features
        sigma = f.realized_vol * math.sqrt(fc.ret_short_bars / fc.bars_per_year)
        return f.ret_5m / sigma if math.isfinite(f.ret_5m) else None

    def _maybe_scale_in(
        self,
        account: AccountRuntime,
        position: Position,
        leg: PositionLeg,
        entry: Decimal,
        mark: Decimal,
        now: datetime,
    ) -> None:
        """Seed 003's scaling in: the second half goes in once the first is confirmed by the market."""
        gain = mark / entry - 1 if entry > 0 else Decimal(0)
        if gain < self.rules.sizing.scale_in_confirm_gain:
            return
        add = int(position.meta.pop("scale_in_add_on"))
        text = f"sizing.scale_in: first {leg.quantity} up {gain:+.1%} on the option, adding {add}"
        account.orders.journal.current.position_events.append(
            PositionEvent(
                now, position.position_id, account.account_id, PositionEventKind.SCALE_IN_SIGNAL, text, add
            )
        )
        account.orders.place(
            (OrderLeg(leg.instrument, Side.BUY, 1, PositionEffect.OPEN),),
            add,
            position_id=position.position_id,
            purpose="scale_in",
            reason=text,
            order_type=OrderType.MARKET,
        )
        position.meta["original_quantity"] = str(leg.quantity + add)

    def _maybe_roll(
        self, account: AccountRuntime, position: Position, leg: PositionLeg, view: PositionView, now: datetime
    ) -> None:
        """Seed 003: bank a winning long by rolling it to the next strike out of the money, same expiry."""
        roll = propose_roll(view, self.rules.exits)
        if not roll.ok:
            return
        contract = leg.instrument
        assert isinstance(contract, OptionContract)
        dte = (contract.expiry - self.market.calendar.local_date(now)).days
        chain = self.market.chain(contract.underlying, min_dte=dte, max_dte=dte)
        strike = float(contract.strike)
        i = nearest_quoted(
            chain, is_call=contract.is_call, expiry=contract.expiry, bound=strike, anchor=strike
        )
        if i is None:
            return
        new = chain.contract(i)
        quote = chain.quote(i)
        text = f"{roll.rule}: {roll.reason}; {contract.key} -> {new.key}"
        # The rolled position is managed from the new contract's price: entry and peak start again there.
        position.meta["entry_price"] = str(quote.ask)
        position.meta["rolled_from"] = contract.key
        new_iv = option_iv(self.market, new, float(quote.ask), now)
        position.meta[META_ENTRY_IV] = "" if new_iv is None else f"{new_iv:.6f}"
        position.peak_value = quote.ask
        position.partials_taken = 0
        send_roll(account, position, [(contract, leg.quantity)], [(new, leg.quantity)], text, now)

    def _stock(
        self,
        tick: Tick,
        account: AccountRuntime,
        position: Position,
        leg: PositionLeg,
        act: bool,
        limit: float | None = None,
    ) -> MonitorRow | None:
        now = tick.now
        spot = self.market.spot(leg.instrument.key)
        view = StockView(
            cfg=self.rules.exits,
            quantity=leg.quantity,
            entry=float(leg.avg_price),
            spot=spot,
            style=position.meta.get("trade_style", "stock"),
            minutes_to_close=(tick.session.close - now).total_seconds() / 60,
            delivered=position.meta.get("delivered") == "1",
            loss_limit=limit,
        )
        decision = evaluate_stock_exit(view)
        signal = decision.value
        assert signal is not None
        closing = signal.action is ExitAction.CLOSE
        if closing and act:
            price = to_decimal(round(spot, 2))
            self._close(account, position, leg, abs(leg.quantity), decision.reason, decision.rule, now, price)
        return MonitorRow(
            position.position_id, position.underlying, position.strategy_type, abs(leg.quantity),
            (spot - view.entry) * leg.quantity, view.move, 0, signal.action, signal.urgency.value,
            decision.rule, decision.reason, closing and act,
        )  # fmt: skip

    def _close(
        self,
        account: AccountRuntime,
        position: Position,
        leg: PositionLeg,
        qty: int,
        reason: str,
        rule: str,
        now: datetime,
        price: Decimal | None,
    ) -> None:
        full = qty == abs(leg.quantity) and len([x for x in position.legs.values() if x.quantity]) == 1
        side = Side.SELL if leg.quantity > 0 else Side.BUY
        text = f"{rule}: {reason}"
        if full:
            position.status = PositionStatus.CLOSING
            position.exit_reason = text
        account.orders.journal.current.position_events.append(
            PositionEvent(
                now, position.position_id, account.account_id, PositionEventKind.EXIT_SIGNAL, text, qty, price
            )
        )
        account.orders.place(
            (OrderLeg(leg.instrument, side, 1, PositionEffect.CLOSE),),
            qty,
            position_id=position.position_id,
            purpose="exit" if full else "partial_exit",
            reason=text,
            order_type=OrderType.MARKET,
        )


def _row(
    position: Position,
    leg: PositionLeg,
    view: PositionView,
    action: ExitAction,
    rule: str,
    reason: str,
    mark: Decimal | None,
) -> MonitorRow:
    """What the monitor shows for a single-leg position: P&L at the mark, gain over the entry fill."""
    gain = float(mark / view.entry_price - 1) if mark is not None else 0.0
    pnl = float((mark - view.entry_price) * leg.quantity * leg.multiplier) if mark is not None else 0.0
    urgency = Urgency.NORMAL if action is ExitAction.HOLD else Urgency.MEDIUM
    return MonitorRow(
        position.position_id, position.underlying, position.strategy_type, leg.quantity, pnl, gain,
        view.dte, action, urgency.value, rule, reason, False,
    )  # fmt: skip
