"""How many contracts (or shares) one account buys: the tier's share of buying power, then caps.

contracts = floor(buying power x risk% / (premium x multiplier)), capped by the tier, and 1 when that
is 0 but one contract is affordable (seed 002). Kelly and the 3-5-7 rule only ever lower the count;
a Kelly of 0 or less (a losing streak) lowers it to a floor share of the tier's count, never to nothing:
a run of losses must shrink the bets, not stop the strategy or turn it into a stock trader (issue 12).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.money import ZERO, cents
from optionpilot.decisions.tiers import DAY_TRADE, SWING_TRADE, Tier
from optionpilot.domain.recommendations import Decision


class SizingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # ATR-adjusted size (seed 003): scale the risk share by reference / ATR% when ATR% is above it.
    atr_adjusted: bool = False
    atr_reference_pct: float = Field(0.001, gt=0)  # a 1-minute ATR of 0.1% of price is "normal"
    # The 3-5-7 rule (seed 003): at most 3% of equity per trade and 5% at risk in total.
    rule_3_5_7: bool = False
    max_risk_per_trade: Decimal = Field(Decimal("0.03"), gt=0, le=1)
    max_total_at_risk: Decimal = Field(Decimal("0.05"), gt=0, le=1)
    # Scaling in (seed 003): buy this share now, the rest when the trade confirms.
    scale_in: bool = False
    scale_in_first: Decimal = Field(Decimal("0.5"), gt=0, le=1)
    # The seeds name no test of "confirmation": the option trading this far above its entry is ours.
    scale_in_confirm_gain: Decimal = Field(Decimal("0.10"), gt=0)
    # A stock trade (the fallback, or a weak signal) risks this share of the swing risk (seed 002).
    stock_share_of_swing: Decimal = Field(Decimal("0.5"), gt=0, le=1)
    # With no edge in the recent trades (Kelly <= 0), trade this share of the tier's count, at least 1.
    kelly_floor_share: Decimal = Field(Decimal("0.25"), gt=0, le=1)


@dataclass(frozen=True, slots=True)
class Sizing:
    quantity: int  # contracts (or shares) planned in all
    initial: int  # to buy now
    add_on: int  # to add on confirmation when scaling in, else 0
    unit_cost: Decimal  # premium x multiplier (or the share price)
    risk_pct: Decimal
    budget: Decimal
    tier: str

    @property
    def initial_cost(self) -> Decimal:
        return self.unit_cost * self.initial


def _floor_div(a: Decimal, b: Decimal) -> int:
    return int((a / b).to_integral_value(rounding=ROUND_FLOOR)) if a > 0 else 0


def _split(quantity: int, config: SizingConfig) -> tuple[int, int]:
    if not config.scale_in or quantity < 2:
        return quantity, 0
    first = max(1, int((quantity * config.scale_in_first).to_integral_value(rounding=ROUND_FLOOR)))
    return first, quantity - first


def size_option(
    buying_power: Decimal,
    premium: Decimal,
    multiplier: int,
    trade_style: str,
    tier: Tier,
    *,
    kelly_share: Decimal | None = None,
    atr_pct: float | None = None,
    equity: Decimal | None = None,
    at_risk: Decimal = ZERO,
    config: SizingConfig | None = None,
) -> Decision[Sizing]:
    """Contracts to buy at `premium` per share. `kelly_share` is the already-fractional Kelly share;
    `equity` and `at_risk` (premium already at risk in open trades) feed the 3-5-7 rule."""
    cfg = config or SizingConfig()
    if premium <= 0 or multiplier <= 0:
        return Decision.no(f"premium {premium} x multiplier {multiplier} is not positive", "sizing.premium")
    if buying_power <= 0:
        return Decision.no(f"no buying power ({buying_power})", "sizing.buying_power")
    if trade_style not in (DAY_TRADE, SWING_TRADE):
        return Decision.no(f"trade style {trade_style!r} has no option sizing", "sizing.style")
    unit = premium * multiplier
    risk_pct = tier.risk_pct(trade_style)
    notes: list[str] = []
    if cfg.atr_adjusted and atr_pct is not None and atr_pct > cfg.atr_reference_pct:
        scale = Decimal(repr(cfg.atr_reference_pct / atr_pct))
        risk_pct = risk_pct * scale
        notes.append(f"ATR {atr_pct:.3%} scales risk by {scale:.2f}")
    budget = buying_power * risk_pct
    n = min(_floor_div(budget, unit), tier.max_contracts)
    if n == 0 and unit <= buying_power:
        n = 1
        notes.append("1 contract: the share buys none but one is affordable")
    if n == 0:
        return Decision.no(
            f"one contract costs {cents(unit)}, more than buying power {cents(buying_power)}",
            "sizing.unaffordable",
            unit_cost=float(unit),
        )
    kelly_floored = False
    if kelly_share is not None:
        # The floor holds for a small positive Kelly too: it never sizes below a Kelly of 0.
        n_floor = min(n, max(1, int((n * cfg.kelly_floor_share).to_integral_value(rounding=ROUND_FLOOR))))
        n_kelly = _floor_div(buying_power * kelly_share, unit) if kelly_share > 0 else 0
        if n_kelly < n_floor:
            edge = "sees no edge" if kelly_share <= 0 else f"allows {n_kelly}"
            notes.append(
                f"Kelly share {kelly_share:.3f} {edge}: floored at {cfg.kelly_floor_share:.0%} of the "
                f"tier's {n} contracts = {n_floor}"
            )
            n = n_floor
            kelly_floored = True
        elif n_kelly < n:
            n = n_kelly
            notes.append(f"Kelly share {kelly_share:.3f} allows {n_kelly}")
    if cfg.rule_3_5_7:
        eq = equity if equity is not None else buying_power
        room = min(eq * cfg.max_risk_per_trade, eq * cfg.max_total_at_risk - at_risk)
        n_357 = _floor_div(room, unit)
        if n_357 < n:
            n = n_357
            notes.append(f"3-5-7 rule leaves {cents(max(room, ZERO))} to risk")
    if n <= 0:
        return Decision.no(
            f"{tier.name} tier: no contract fits ({'; '.join(notes)})", "sizing.capped", unit_cost=float(unit)
        )
    initial, add_on = _split(n, cfg)
    sizing = Sizing(n, initial, add_on, unit, risk_pct, cents(budget), tier.name)
    reason = (
        f"{tier.name} tier, {trade_style}: {risk_pct:.2%} of {cents(buying_power)} = {cents(budget)}; "
        f"{premium} x {multiplier} = {cents(unit)} per contract; {n} contracts (cap {tier.max_contracts})"
    )
    if add_on:
        reason += f"; scaling in: {initial} now, {add_on} on confirmation"
    if notes:
        reason += "; " + "; ".join(notes)
    return Decision.yes(
        sizing,
        reason,
        "sizing.kelly_floor" if kelly_floored else "sizing.option",
        contracts=n,
        budget=float(budget),
    )


def size_stock(
    buying_power: Decimal, price: Decimal, trade_style: str, tier: Tier, config: SizingConfig | None = None
) -> Decision[Sizing]:
    """Shares for a stock trade: the style's risk share (half the swing share for a plain stock signal)."""
    cfg = config or SizingConfig()
    if price <= 0:
        return Decision.no(f"share price {price} is not positive", "sizing.price")
    if trade_style in (DAY_TRADE, SWING_TRADE):
        risk_pct = tier.risk_pct(trade_style)
    else:
        risk_pct = tier.risk_pct_swing * cfg.stock_share_of_swing
    budget = buying_power * risk_pct
    n = _floor_div(budget, price)
    if n <= 0:
        return Decision.no(
            f"{risk_pct:.2%} of {cents(buying_power)} buys no share at {price}", "sizing.unaffordable"
        )
    initial, add_on = _split(n, cfg)
    sizing = Sizing(n, initial, add_on, price, risk_pct, cents(budget), tier.name)
    reason = (
        f"{tier.name} tier, stock: {risk_pct:.2%} of {cents(buying_power)} = {cents(budget)}; "
        f"{n} shares at {price}"
    )
    return Decision.yes(sizing, reason, "sizing.stock", shares=n, budget=float(budget))
