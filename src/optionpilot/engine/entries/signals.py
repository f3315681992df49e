"""The entry stages: watchlist, signals, then each account's dispatcher (risk, selection, sizing)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from optionpilot.core.ids import IdMaker, PositionId
from optionpilot.core.money import to_decimal
from optionpilot.decisions.budgets import sleeve_for_style
from optionpilot.decisions.exits import entry_passes_exit_rules
from optionpilot.decisions.kelly import kelly_from_trades
from optionpilot.decisions.pretrade.greeks import GreekValues
from optionpilot.decisions.risk import stock_fallback, stock_side
from optionpilot.decisions.selection import select_contract
from optionpilot.decisions.sizing import size_option, size_stock
from optionpilot.decisions.tiers import Tier, tier_admits, tier_for
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.chains import ChainSnapshot
from optionpilot.domain.instruments import OptionContract, Stock
from optionpilot.domain.orders import OrderLeg, OrderType, PositionEffect, Side
from optionpilot.domain.positions import Position
from optionpilot.domain.recommendations import Decision, Recommendation, Rejection, Signal
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.entries.dispatch import (
    CAPITAL,
    SLEEVE,
    AccountDispatcher,
    deployed,
    intraday_capital,
    net_greeks_for_caps,
    sleeve_of,
)
from optionpilot.engine.entries.greeks import stamp_entry_greeks
from optionpilot.engine.marks import Marker, option_greek_values, option_greeks_one
from optionpilot.engine.rules import Rules
from optionpilot.engine.ticker import Tick
from optionpilot.ports.market_data import MarketData
from optionpilot.ports.recorder import TickRecords
from optionpilot.signals.features import Features
from optionpilot.signals.rules import evaluate_signal
from optionpilot.signals.sentiment import TickerSentiment
from optionpilot.signals.watchlist import build_watchlist


class EntryStage:
    def __init__(self, market: MarketData, marker: Marker, rules: Rules, ids: IdMaker) -> None:
        self.market = market
        self.marker = marker
        self.rules = rules
        self.ids = ids
        self._chains: dict[str, ChainSnapshot] = {}
        self._chain_ts: datetime | None = None

    def run(
        self,
        tick: Tick,
        accounts: list[AccountRuntime],
        features: dict[str, Features],
        sentiments: dict[str, TickerSentiment],
        atm_iv: dict[str, float],
        records: TickRecords,
    ) -> None:
        watchlist = build_watchlist(list(features.values()), sentiments, self.rules.watchlist)
        top = watchlist.entries[: self.rules.engine.max_signals_per_tick]
        for entry in top:
            f = features[entry.symbol]
            decision = evaluate_signal(f, sentiments.get(entry.symbol), self.rules.signals)
            signal = decision.value
            if signal is None:
                records.rejections.append(
                    Rejection(
                        tick.now,
                        "signals",
                        decision.rule,
                        decision.reason,
                        entry.symbol,
                        None,
                        decision.details,
                    )
                )
                continue
            signal = Signal(
                signal.ts,
                signal.underlying,
                signal.direction,
                signal.confidence,
                signal.trade_style,
                f"watchlist {entry.reason}; {signal.reason}",
                signal.features,
            )
            if self.rules.engine.record_signals:
                records.signals.append(signal)
            for account in accounts:
                self._dispatch(tick, account, signal, f, atm_iv.get(signal.underlying))

    # -- one account --------------------------------------------------------------------------------

    def _reject(
        self, tick: Tick, account: AccountRuntime, signal: Signal, d: Decision[Any], stage: str
    ) -> None:
        account.orders.journal.current.rejections.append(
            Rejection(tick.now, stage, d.rule, d.reason, signal.underlying, account.account_id, d.details)
        )

    def _dispatch(
        self,
        tick: Tick,
        account: AccountRuntime,
        signal: Signal,
        f: Features,
        atm_iv: float | None,
    ) -> None:
        book = account.book
        # One intraday position per underlying; a multi-leg strategy on it is another sleeve's business
        # (netting between them is the dispatcher's).
        if any(
            p.underlying == signal.underlying and sleeve_of(p) != "multileg" for p in book.open_positions()
        ):
            self._reject(
                tick, account, signal,
                Decision.no(f"{signal.underlying} already has an open position",
                            "dispatch.one_per_underlying"),
                "dispatch",
            )  # fmt: skip
            return
        snapshot = account.broker.account()
        base = intraday_capital(snapshot, book.open_positions())
        tier = tier_for(base, self.rules.tiers)
        admitted = tier_admits(tier, signal.confidence, f.volume_ratio)
        if not admitted.ok:
            self._reject(tick, account, signal, admitted, "dispatch")
            return
        if signal.trade_style == "stock":
            self._stock(tick, account, signal, tier, snapshot, base, "signal asks for the stock")
            return
        chain = self._chain(tick, signal.underlying)
        today = self.market.calendar.local_date(tick.now)
        result = select_contract(
            chain,
            signal.direction,
            signal.trade_style,
            iv_rank=f.iv_rank,
            volatility=atm_iv,
            today=today,
            config=self.rules.selection,
            liquidity=self.rules.liquidity,
        )
        choice = result.decision.value
        if result.candidates:
            account.liquidity_checks += 1
            account.liquidity_failures += int(result.decision.rule == "selection.illiquid")
        if choice is None:
            why = Counter(r.rule for r in result.rejections)
            details: dict[str, float | str] = {"candidates": float(result.candidates)}
            details.update({rule: float(n) for rule, n in why.items()})
            self._reject(
                tick, account, signal,
                Decision.no(result.decision.reason, result.decision.rule, **details), "selection",
            )  # fmt: skip
            fallback = stock_fallback(result.decision, tradeable=self._tradeable(signal.underlying),
                                      config=self.rules.risk)  # fmt: skip
            if fallback.ok:
                self._stock(tick, account, signal, tier, snapshot, base, fallback.reason)
            return
        contract = chain.contract(choice.index)
        quote = chain.quote(choice.index)
        premium = quote.ask
        _, theta = option_greeks_one(self.market, contract, float(quote.mid), tick.now)
        theta_ok = entry_passes_exit_rules(
            signal.trade_style, (contract.expiry - today).days, quote.mid, theta, self.rules.exits
        )
        if not theta_ok.ok:
            self._reject(tick, account, signal, theta_ok, "selection")
            return
        kelly = kelly_from_trades(
            account.closed_trades,
            tick.now,
            self.rules.kelly,
        )
        open_positions = book.open_positions()
        at_risk = deployed([p for p in open_positions if sleeve_of(p) != "multileg"])
        sizing = size_option(
            base,
            premium,
            contract.multiplier,
            signal.trade_style,
            tier,
            kelly_share=kelly.value,
            atr_pct=f.atr_pct,
            equity=snapshot.equity,
            at_risk=at_risk,
            config=self.rules.sizing,
        )
        plan = sizing.value
        if plan is None or plan.initial <= 0:
            self._reject(tick, account, signal, sizing, "sizing")
            return
        cost = premium * contract.multiplier * plan.initial
        net = net_greeks_for_caps(self.marker, self.rules.risk, account, tick.now)
        trade_delta = trade_vega = 0.0
        values = GreekValues()
        if self.rules.risk.wants_greeks:
            units = plan.initial * contract.multiplier
            trade_delta, trade_vega, values = option_greek_values(
                self.market, contract, float(quote.mid), tick.now, units
            )
        admitted_trade = AccountDispatcher(account, self.rules.risk).admit(
            sleeve=sleeve_for_style(signal.trade_style),
            trade_style=signal.trade_style,
            cost=cost,
            legs=(OrderLeg(contract, Side.BUY, 1, PositionEffect.OPEN),),
            snapshot=snapshot,
            net=net,
            delta=trade_delta,
            vega=trade_vega,
            values=values,
        )
        if not admitted_trade.ok:
            self._reject(tick, account, signal, admitted_trade, "risk")
            return
        kind = "long_call" if contract.is_call else "long_put"
        reason = f"{signal.reason} | contract: {result.decision.reason} | size: {sizing.reason}" + (
            f" | kelly: {kelly.reason}" if kelly.ok else ""
        )
        position = self._open(
            tick, account, signal, contract, plan.initial, premium, f"{kind}/{signal.trade_style}", reason,
            cost=cost,
        )  # fmt: skip
        if plan.add_on > 0:
            position.meta["scale_in_add_on"] = str(plan.add_on)

    def _open(
        self,
        tick: Tick,
        account: AccountRuntime,
        signal: Signal,
        instrument: OptionContract | Stock,
        quantity: int,
        limit: Decimal | None,
        strategy_type: str,
        reason: str,
        side: Side = Side.BUY,
        *,
        cost: Decimal,
    ) -> Position:
        position = Position(
            position_id=PositionId(self.ids.position_id()),
            account_id=account.account_id,
            underlying=signal.underlying,
            strategy_type=strategy_type,
            opened_at=tick.now,
            entry_reason=reason,
        )
        position.meta.update(
            {
                "trade_style": signal.trade_style,
                "direction": signal.direction,
                "underlying_entry": repr(self.market.spot(signal.underlying)),
                "original_quantity": str(quantity),
                "confidence": f"{signal.confidence:.3f}",
                SLEEVE: sleeve_for_style(signal.trade_style),
                CAPITAL: str(cost),
            }
        )
        if limit is not None:
            position.meta["entry_price"] = str(limit)
        account.book.add_position(position)
        legs = (OrderLeg(instrument, side, 1, PositionEffect.OPEN),)
        stamp_entry_greeks(position, self.market, legs, tick.now)
        rec = Recommendation(
            recommendation_id=self.ids.recommendation_id(),
            ts=tick.now,
            account_id=account.account_id,
            underlying=signal.underlying,
            strategy_type=strategy_type,
            legs=legs,
            quantity=quantity,
            limit_price=limit,
            confidence=signal.confidence,
            reason=reason,
            position_id=position.position_id,
        )
        records = account.orders.journal.current
        records.recommendations.append(rec)
        records.positions.append(position)
        account.orders.place(
            legs,
            quantity,
            position_id=position.position_id,
            purpose="entry",
            reason=f"{rec.recommendation_id}: {reason}",
            order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
            limit_price=limit,
        )
        return position

    def _stock(
        self,
        tick: Tick,
        account: AccountRuntime,
        signal: Signal,
        tier: Tier,
        snapshot: AccountSnapshot,
        base: Decimal,
        why: str,
    ) -> None:
        if not self._tradeable(signal.underlying):
            return
        side = stock_side(signal.direction, allow_short=account.allow_short_stock)
        if not side.ok:
            self._reject(tick, account, signal, side, "dispatch")
            return
        price = to_decimal(round(self.market.spot(signal.underlying), 2))
        sizing = size_stock(base, price, signal.trade_style, tier, self.rules.sizing)
        plan = sizing.value
        if plan is None or plan.initial <= 0:
            self._reject(tick, account, signal, sizing, "sizing")
            return
        # A stock entry passes the same gate as an option entry: its sleeve, the account's limits.
        net = net_greeks_for_caps(self.marker, self.rules.risk, account, tick.now)
        units = plan.initial if side.value == "long" else -plan.initial
        stock = Stock(signal.underlying, self.market.calendar.market)
        order_side = Side.BUY if side.value == "long" else Side.SELL
        cost = price * plan.initial
        risk = AccountDispatcher(account, self.rules.risk).admit(
            sleeve=sleeve_for_style(signal.trade_style),
            trade_style=signal.trade_style,
            cost=cost,
            legs=(OrderLeg(stock, order_side, 1, PositionEffect.OPEN),),
            snapshot=snapshot,
            net=net,
            delta=float(units),
            values=GreekValues(delta=float(units * price)),
        )
        if not risk.ok:
            self._reject(tick, account, signal, risk, "risk")
            return
        reason = f"{signal.reason} | stock: {why}; {side.reason} | size: {sizing.reason}"
        kind = "stock" if side.value == "long" else "short_stock"
        self._open(
            tick,
            account,
            signal,
            stock,
            plan.initial,
            None,
            f"{kind}/{signal.trade_style}",
            reason,
            order_side,
            cost=cost,
        )

    def _tradeable(self, symbol: str) -> bool:
        return any(u.symbol == symbol and u.is_tradeable for u in self.market.underlyings())

    def _chain(self, tick: Tick, symbol: str) -> ChainSnapshot:
        if self._chain_ts != tick.now:
            self._chains.clear()
            self._chain_ts = tick.now
        chain = self._chains.get(symbol)
        if chain is None:
            chain = self.market.chain(symbol, min_dte=0, max_dte=self.rules.engine.chain_max_dte)
            self._chains[symbol] = chain
        return chain
