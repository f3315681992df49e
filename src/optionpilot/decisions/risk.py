"""Account-level limits (seed 001, 003): open positions by style, capital deployed, net delta and vega;
and the fall-back to the stock when no option passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.money import ZERO, cents
from optionpilot.decisions.pretrade.config import PreTradeConfig
from optionpilot.decisions.pretrade.greeks import GreekCaps, GreekValues, check_greek_caps
from optionpilot.domain.recommendations import Decision

DAY_TRADE = "day_trade"
SWING_TRADE = "swing_trade"


class RiskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_day_positions: int = Field(5, ge=0)
    max_swing_positions: int = Field(2, ge=0)
    max_deployed_pct: Decimal = Field(Decimal("0.70"), gt=0, le=1)  # 30% stays in cash
    # Net delta in share equivalents and net vega in currency per vol point, absolute: off unless set.
    # The caps on by default are `greek_caps`, scaled to equity (`decisions.pretrade.greeks`).
    max_abs_net_delta: float | None = Field(None, gt=0)
    max_abs_net_vega: float | None = Field(None, gt=0)
    allow_stock_fallback: bool = True
    # The daily loss breaker (issue 17, `decisions.breaker`): of the equity at the session's open.
    daily_max_loss_pct: Decimal = Field(Decimal("0.03"), gt=0, le=1, description="then closing only")
    daily_halt_loss_pct: Decimal = Field(Decimal("0.05"), gt=0, le=1, description="then halted")
    # The account's maximum loss (seed 004's "maximum loss limits"), of its starting equity: then HALTED.
    max_account_loss_pct: Decimal | None = Field(Decimal("0.20"), gt=0, le=1, description="then halted")
    # Seed 004's absolute stop per position (`exits.absolute_stop` and its stock and multi-leg kin): of the
    # equity at the session's open, and at most an amount in the account's currency when set.
    position_stop_pct: Decimal | None = Field(Decimal("0.05"), gt=0, le=1, description="of equity")
    position_stop_amount: Decimal | None = Field(None, gt=0, description="in currency")
    greek_caps: GreekCaps = Field(default_factory=GreekCaps)
    pretrade: PreTradeConfig = Field(default_factory=PreTradeConfig)

    @property
    def wants_greeks(self) -> bool:
        """Whether an entry needs the book's Greeks (they cost a pricing pass)."""
        return (
            self.greek_caps.enabled or self.max_abs_net_delta is not None or self.max_abs_net_vega is not None
        )


@dataclass(frozen=True, slots=True)
class PortfolioState:
    equity: Decimal
    deployed: Decimal  # cost of what is open now
    open_day_trades: int = 0
    open_swing_trades: int = 0
    net_delta: float = 0.0  # share equivalents, signed
    net_vega: float = 0.0  # currency per 1 vol point, signed
    net_values: GreekValues = field(default_factory=GreekValues)  # in currency, for `greek_caps`


def check_risk(
    state: PortfolioState,
    trade_style: str,
    cost: Decimal,
    *,
    delta: float = 0.0,
    vega: float = 0.0,
    values: GreekValues | None = None,
    config: RiskConfig | None = None,
) -> Decision[Decimal]:
    """Whether a new position of `cost` (and its signed delta and vega) fits; yes with the capital left."""
    cfg = config or RiskConfig()
    if trade_style != SWING_TRADE and state.open_day_trades >= cfg.max_day_positions:
        # A stock trade is flat by the close like a day trade, so it takes a day-trade slot.
        return Decision.no(
            f"{state.open_day_trades} day trades open, the limit is {cfg.max_day_positions}",
            "risk.day_positions",
        )
    if trade_style == SWING_TRADE and state.open_swing_trades >= cfg.max_swing_positions:
        return Decision.no(
            f"{state.open_swing_trades} swing trades open, the limit is {cfg.max_swing_positions}",
            "risk.swing_positions",
        )
    if state.equity <= 0:
        return Decision.no(f"equity {state.equity} is not positive", "risk.equity")
    limit = state.equity * cfg.max_deployed_pct
    after = state.deployed + cost
    if after > limit:
        return Decision.no(
            f"deploying {cents(cost)} would put {cents(after)} to work, over {cfg.max_deployed_pct:.0%} "
            f"of equity ({cents(limit)})",
            "risk.deployed",
            deployed=float(after),
            limit=float(limit),
        )
    greeks = check_net_greeks(state, delta, vega, cfg, values=values)
    if not greeks.ok:
        return greeks
    left = max(limit - after, ZERO)
    return Decision.yes(
        left,
        f"within limits: {cents(after)} of {cents(limit)} deployed, net delta {state.net_delta + delta:+.1f}",
        "risk.ok",
        left=float(left),
    )


def check_net_greeks(
    state: PortfolioState,
    delta: float,
    vega: float,
    config: RiskConfig | None = None,
    *,
    values: GreekValues | None = None,
) -> Decision[Decimal]:
    """The account's net Greeks with a new trade's added: the absolute delta and vega caps (off unless
    set), then the caps scaled to equity (`greek_caps`, on) on the trade's `values`."""
    cfg = config or RiskConfig()
    new_delta = state.net_delta + delta
    if cfg.max_abs_net_delta is not None and abs(new_delta) > cfg.max_abs_net_delta:
        return Decision.no(
            f"net delta would be {new_delta:+.1f} shares, over {cfg.max_abs_net_delta:g}", "risk.net_delta"
        )
    new_vega = state.net_vega + vega
    if cfg.max_abs_net_vega is not None and abs(new_vega) > cfg.max_abs_net_vega:
        return Decision.no(
            f"net vega would be {new_vega:+.1f}, over {cfg.max_abs_net_vega:g}", "risk.net_vega"
        )
    scaled = check_greek_caps(state.equity, state.net_values, values or GreekValues(), cfg.greek_caps)
    if not scaled.ok:
        return Decision.no(scaled.reason, scaled.rule, **scaled.details)
    return Decision.yes(ZERO, f"net delta {new_delta:+.1f}, net vega {new_vega:+.1f}", "risk.greeks_ok")


def stock_fallback(
    option_decision: Decision[Any], *, tradeable: bool, config: RiskConfig | None = None
) -> Decision[str]:
    """When the option leg failed (no contract, illiquid, IV too high...), trade the stock, saying why."""
    cfg = config or RiskConfig()
    if option_decision.ok:
        return Decision.no("an option passed; no fall-back needed", "risk.fallback_unneeded")
    if not cfg.allow_stock_fallback:
        return Decision.no(
            f"no option passed ({option_decision.reason}); stock fall-back is off", "risk.no_fallback"
        )
    if not tradeable:
        return Decision.no(
            f"no option passed ({option_decision.reason}); the underlying cannot be bought",
            "risk.untradeable",
        )
    return Decision.yes(
        "stock",
        f"no option passed ({option_decision.rule}: {option_decision.reason}); trading the stock instead",
        "risk.stock_fallback",
    )


def stock_side(direction: str, *, allow_short: bool) -> Decision[str]:
    """Which way a stock trade goes: long on a bullish signal; short on a bearish one only where the
    account may short. Buying the stock on a bearish signal bets against the signal (issue 12)."""
    if direction == "bullish":
        return Decision.yes("long", "bullish signal: buy the stock", "risk.stock_long")
    if direction != "bearish":
        return Decision.no(f"signal direction {direction!r} has no stock side", "risk.stock_direction")
    if allow_short:
        return Decision.yes("short", "bearish signal: sell the stock short", "risk.stock_short")
    return Decision.no(
        "bearish signal and the account may not short stock (accounts.<name>.allow_short_stock): no trade",
        "risk.no_short_stock",
    )
