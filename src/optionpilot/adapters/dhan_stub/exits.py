"""Dhan's account-wide exits: `DELETE /v2/positions` (exit all) and the P&L based exit (`/v2/pnlExit`).

Exiting all cancels every pending order and sends a MARKET order against each open position. The P&L
exit watches the day's P&L (realized plus marked) at every step of the clock; once it reaches the
profit target or the loss limit it exits all, turns the kill switch on when asked to, and stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from optionpilot.adapters.dhan_stub.broker import DhanBroker
from optionpilot.adapters.dhan_stub.state import Order
from optionpilot.adapters.dhan_stub.wire import money
from optionpilot.adapters.stub_common.market_time import trading_day
from optionpilot.core.money import ZERO


class PnlExitIn(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)

    profit_value: Decimal = Field(gt=0)
    loss_value: Decimal = Field(gt=0)
    product_type: list[str] = Field(default_factory=lambda: ["INTRADAY"])
    enable_kill_switch: bool = False


@dataclass
class PnlExit:
    rule: PnlExitIn | None = None
    triggered_at: datetime | None = None

    def doc(self) -> dict[str, Any]:
        if self.rule is None:
            return {"pnlExitStatus": "DISABLED"}
        return {
            "pnlExitStatus": "ACTIVE",
            "profit": money(self.rule.profit_value),
            "loss": money(self.rule.loss_value),
            "productType": self.rule.product_type,
            "enableKillSwitch": self.rule.enable_kill_switch,
        }


def day_pnl(broker: DhanBroker) -> Decimal:
    total = ZERO
    for p in broker.book.positions.values():
        total += p.realized + p.unrealized(broker.mark(p.listed))
    return total


def exit_all(broker: DhanBroker, now: datetime) -> list[Order]:
    for order in broker.book.open_orders():
        order.touch("CANCELLED", now)
        broker.publish(order)
    sent: list[Order] = []
    for p in broker.book.positions.values():
        net = p.net_qty
        if net == 0:
            continue
        order_id, exchange_id = broker.book.next_order_ids()
        order = Order(
            order_id=order_id,
            exchange_order_id=exchange_id,
            correlation_id=None,
            listed=p.listed,
            side="SELL" if net > 0 else "BUY",
            product=p.product,
            order_type="MARKET",
            validity="DAY",
            quantity=abs(net),
            price=ZERO,
            created_at=now,
            session_day=trading_day(broker.calendar, now),
            updated_at=now,
        )
        broker.book.add_order(order)
        broker.publish(order)
        sent.append(order)
    return sent


def watch_pnl(broker: DhanBroker, pnl_exit: PnlExit) -> None:
    rule = pnl_exit.rule
    if rule is None:
        return
    pnl = day_pnl(broker)
    if pnl < rule.profit_value and pnl > -rule.loss_value:
        return
    now = broker.now()
    exit_all(broker, now)
    if rule.enable_kill_switch:
        broker.book.kill_switch_day = broker.today()
    pnl_exit.rule, pnl_exit.triggered_at = None, now
