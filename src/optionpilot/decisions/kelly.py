"""Kelly sizing from the account's own recent trades (seed 000): half Kelly, once there is enough history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.money import ZERO
from optionpilot.domain.recommendations import Decision


class KellyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    lookback_days: int = Field(30, ge=1)
    min_trades: int = Field(20, ge=1)
    fraction: Decimal = Field(Decimal("0.5"), gt=0, le=1)  # half Kelly


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    closed_at: datetime
    pnl: Decimal  # realized, after fees
    cost: Decimal  # premium paid (positive): the return is pnl / cost


def kelly_fraction(win_rate: Decimal, avg_win: Decimal, avg_loss: Decimal) -> Decimal:
    """Full Kelly, (p * W - q * L) / W with W and L as positive returns (seed 000's formula).

    65% wins, +45% average win, -18% average loss give 0.51.
    """
    if not ZERO <= win_rate <= 1:
        raise ValueError(f"kelly: win rate {win_rate} is not within 0..1")
    if avg_win <= 0:
        raise ValueError(f"kelly: average win {avg_win} must be positive")
    return (win_rate * avg_win - (1 - win_rate) * abs(avg_loss)) / avg_win


def kelly_from_trades(
    trades: Iterable[ClosedTrade], now: datetime, config: KellyConfig | None = None
) -> Decision[Decimal]:
    """The fractional Kelly share of buying power from trades closed in the lookback, or why none.

    A negative edge gives a share of 0 (a yes with value 0), which sizing turns into "no trade".
    """
    cfg = config or KellyConfig()
    if not cfg.enabled:
        return Decision.no("Kelly sizing is off", "kelly.disabled")
    start = now - timedelta(days=cfg.lookback_days)
    returns = [t.pnl / t.cost for t in trades if start < t.closed_at <= now and t.cost > 0]
    if len(returns) < cfg.min_trades:
        return Decision.no(
            f"{len(returns)} closed trades in {cfg.lookback_days} days, Kelly needs {cfg.min_trades}",
            "kelly.history",
            trades=len(returns),
        )
    wins = [r for r in returns if r > 0]
    losses = [-r for r in returns if r <= 0]
    p = Decimal(len(wins)) / Decimal(len(returns))
    if not wins:
        return Decision.yes(ZERO, f"no winning trade in {len(returns)}: Kelly is 0", "kelly.no_edge")
    avg_win = sum(wins, start=ZERO) / len(wins)
    avg_loss = sum(losses, start=ZERO) / len(losses) if losses else ZERO
    full = kelly_fraction(p, avg_win, avg_loss)
    share = max(full * cfg.fraction, ZERO)
    reason = (
        f"Kelly {full:.3f} from {len(returns)} trades (win rate {p:.2f}, avg win {avg_win:.2%}, "
        f"avg loss {avg_loss:.2%}); x{cfg.fraction} = {share:.3f}"
    )
    return Decision.yes(share, reason, "kelly.size", kelly=float(full), share=float(share))
