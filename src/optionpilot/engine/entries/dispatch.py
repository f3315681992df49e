"""One account's gate for every entry, whatever proposed it: sleeve budgets, risk limits, netting.

Both entry sources go through here: the intraday signals (an option or stock, sized by the sizing rules)
and the scanned strategies (sized by the allocator). What each sleeve has at work is measured the same way
for both, and a position's sleeve is stored on it (`meta["sleeve"]`), so a restart or a report knows it.

Capital at work of a position:
- a single-leg option or stock: the premium paid or the stock's value either side (its cost basis), or,
  until the entry fills, the capital it was admitted with (so two entries in one look cannot both take the
  last of a budget);
- a multi-leg strategy: its margin per unit (the broker's reservation, which bounds its loss) times the
  units still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from optionpilot.core.money import ZERO, cents
from optionpilot.decisions.breaker import entry_allowed
from optionpilot.decisions.budgets import Sleeve, check_sleeve, sleeve_for_style
from optionpilot.decisions.netting import opposite_side
from optionpilot.decisions.pretrade.greeks import GreekValues
from optionpilot.decisions.risk import PortfolioState, RiskConfig, check_net_greeks, check_risk
from optionpilot.domain.accounts import AccountSnapshot
from optionpilot.domain.orders import OrderLeg
from optionpilot.domain.positions import Position
from optionpilot.domain.recommendations import Decision
from optionpilot.engine.account import AccountRuntime
from optionpilot.engine.marks import Marker, PortfolioGreeks, units_of

SLEEVE = "sleeve"
CAPITAL = "capital"  # meta: the capital an entry was admitted with, in currency
CAPITAL_UNIT = "capital_unit"  # meta: a multi-leg strategy's margin per unit


def sleeve_of(position: Position) -> Sleeve:
    """The sleeve stored on the position; positions from before sleeves are placed by what they are."""
    stored = position.meta.get(SLEEVE)
    if stored in ("day", "swing", "multileg"):
        return stored  # type: ignore[return-value]
    if position.meta.get("flow") == "multileg":
        return "multileg"
    return sleeve_for_style(position.meta.get("trade_style", "day_trade"))


def at_work(position: Position) -> Decimal:
    """The capital the position holds now (see the module docstring)."""
    if sleeve_of(position) == "multileg":
        unit = position.meta.get(CAPITAL_UNIT)
        if unit:
            # Until the entry fills, the units it was admitted for.
            units = int(position.meta.get("units", "0")) if position.is_flat else units_of(position)
            return Decimal(unit) * units
        return abs(position.cost_basis())
    basis = position.cost_basis()
    if position.is_flat and CAPITAL in position.meta:
        return Decimal(position.meta[CAPITAL])  # admitted, not filled yet
    stock = position.strategy_type.startswith(("stock/", "short_stock/"))
    return abs(basis) if stock else max(basis, ZERO)


def deployed(positions: Sequence[Position], sleeve: Sleeve | None = None) -> Decimal:
    """Capital at work in one sleeve, or in all of them."""
    return sum(
        (at_work(p) for p in positions if sleeve is None or sleeve_of(p) == sleeve),
        start=ZERO,
    )


def portfolio_state(
    snapshot: AccountSnapshot, positions: Sequence[Position], net: PortfolioGreeks
) -> PortfolioState:
    """The account as seed 001's limits see it: the intraday sleeves' positions and capital."""
    intraday = [p for p in positions if sleeve_of(p) != "multileg"]
    swing = sum(1 for p in intraday if p.meta.get("trade_style") == "swing_trade")
    # Stock trades are flat by the close, so they count against the day-trade limit.
    day = sum(1 for p in intraday if p.meta.get("trade_style") in ("day_trade", "stock"))
    return PortfolioState(
        equity=snapshot.equity,
        deployed=deployed(intraday),
        open_day_trades=day,
        open_swing_trades=swing,
        net_delta=net.delta,
        net_vega=net.vega,
        net_values=net.values,
    )


def held_sides(account: AccountRuntime) -> dict[str, int]:
    """Signed quantity per instrument held, and the side of every entry still working (its size is not
    known until it fills): what an entry's legs must not oppose (`decisions.netting`)."""
    sides = {k: q for k, q in account.book.holdings().items() if q}
    for order in account.orders.open_orders():
        if order.purpose == "entry":
            for leg in order.legs:
                sides.setdefault(leg.instrument.key, leg.side.sign)
    return sides


def intraday_capital(snapshot: AccountSnapshot, positions: Sequence[Position]) -> Decimal:
    """What the intraday sleeves size on (tiers, risk shares): the buying power plus the margin the
    multileg sleeve holds, never more than equity. That margin is the multileg sleeve's own budget; without
    it back, every multi-leg entry would shrink the size of the next day trade."""
    return min(snapshot.equity, snapshot.buying_power + deployed(positions, "multileg"))


def net_greeks_for_caps(
    marker: Marker, risk: RiskConfig, account: AccountRuntime, now: datetime
) -> PortfolioGreeks:
    """The account's net Greeks when a cap asks for them (they cost a pricing pass), else zeros."""
    if not risk.wants_greeks:
        return PortfolioGreeks()
    positions = account.book.open_positions()
    return marker.greeks(positions, marker.marks(positions), now)


class AccountDispatcher:
    """Admits or refuses one entry for one account; the caller sends it and stamps the position."""

    def __init__(self, account: AccountRuntime, risk: RiskConfig) -> None:
        self.account = account
        self.risk = risk

    def admit(
        self,
        *,
        sleeve: Sleeve,
        trade_style: str,
        cost: Decimal,
        legs: Sequence[OrderLeg],
        snapshot: AccountSnapshot,
        net: PortfolioGreeks,
        delta: float = 0.0,
        vega: float = 0.0,
        values: GreekValues | None = None,
    ) -> Decision[Decimal]:
        """Netting, then the sleeve's budget, then the account's limits; yes with the sleeve's room left."""
        positions = self.account.book.open_positions()
        trading = entry_allowed(self.account.state, self.account.state_reason)
        if not trading.ok:
            return Decision.no(trading.reason, trading.rule)
        health = self.account.health
        if health is not None:
            # No entry priced on stale data or sent to a broker that stopped answering; exits go on.
            fit = health.entry_check(self.account.account_id)
            if not fit.ok:
                return Decision.no(fit.reason, fit.rule, **fit.details)
        if self.account.orders.halted is not None:
            # Said first: a halted account's buying power (e.g. after a tampered broker) means nothing.
            return Decision.no(f"account halted: {self.account.orders.halted}", "risk.reconciliation_halt")
        if cost > snapshot.buying_power:
            return Decision.no(
                f"it needs {cents(cost)}, more than the {cents(snapshot.buying_power)} buying power",
                "risk.buying_power",
            )
        clash = opposite_side(held_sides(self.account), [(leg.instrument.key, leg.side.sign) for leg in legs])
        if not clash.ok:
            return Decision.no(clash.reason, clash.rule)
        budget = check_sleeve(
            sleeve, snapshot.equity, deployed(positions, sleeve), cost, self.account.sleeves
        )
        if not budget.ok:
            return budget
        state = portfolio_state(snapshot, positions, net)
        if sleeve == "multileg":
            # The allocator sized it within the sleeve; seed 001's counts and 70% cap are the intraday's.
            risk = check_net_greeks(state, delta, vega, self.risk, values=values)
        else:
            risk = check_risk(
                state, trade_style, cost, delta=delta, vega=vega, values=values, config=self.risk
            )
        if not risk.ok:
            return Decision.no(risk.reason, risk.rule, **risk.details)
        return Decision.yes(budget.value or ZERO, f"{budget.reason}; {risk.reason}", "dispatch.admitted")
