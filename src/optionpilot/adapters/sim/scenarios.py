"""Stress scenarios of the market simulator: a crash, an overnight gap, a trading halt, a calm stretch.

A scenario is a definition in the simulator's config (`SimMarketConfig.scenario`); it transforms the paths
(and through them the surface and quotes) of the sessions it names, the same way for a given seed.
`session` counts replayed sessions from 0, as `PlantedEvent.session` does; `symbols` empty means all.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    symbols: tuple[str, ...] = Field(default=(), description="underlyings hit; empty: all of them")


class CrashScenario(_Scenario):
    """A -10% day on every underlying at once, through the session, with the volatility spiking."""

    kind: Literal["crash"] = "crash"
    session: int = Field(default=2, ge=0, description="replayed session of the crash (2: the third)")
    move_pct: float = Field(default=-0.10, gt=-1, lt=0, description="open-to-close move of the day")
    open_share: float = Field(
        default=0.2, ge=0, le=1, description="share of the move (in log terms) taken as a gap at the open"
    )
    vol_multiple: float = Field(
        default=2.5, ge=1, description="model volatility at the close over the one before the crash"
    )


class GapScenario(_Scenario):
    """An overnight gap: the session opens `gap_pct` away from the previous close, through any stop."""

    kind: Literal["gap"] = "gap"
    session: int = Field(default=2, ge=1, description="replayed session that opens gapped (not the first)")
    gap_pct: float = Field(default=-0.06, gt=-1, description="open over the previous close, minus one")
    vol_multiple: float = Field(default=1.5, ge=1, description="model volatility rise at the gapped open")


class HaltScenario(_Scenario):
    """A trading halt: no trade, no bar volume and no option quote over `duration_minutes` bars.

    The price the halt hides still moves, so trading reopens at a different price.
    """

    kind: Literal["halt"] = "halt"
    session: int = Field(default=2, ge=0)
    minute: int = Field(default=60, ge=0, description="first halted bar, minutes after the open")
    duration_minutes: int = Field(default=75, ge=1)


class CalmScenario(_Scenario):
    """A quiet market over the whole replay (and its history): low volatility, no jumps, small moves."""

    kind: Literal["calm"] = "calm"
    vol_scale: float = Field(default=0.4, gt=0, le=1, description="volatility and vol of vol, times this")
    surge_scale: float = Field(default=0.2, ge=0, le=1, description="volume surges per session, times this")
    news_scale: float = Field(default=0.3, ge=0, le=1, description="news drift per tone, times this")

    @property
    def session(self) -> int:
        return 0


Scenario = Annotated[CrashScenario | GapScenario | HaltScenario | CalmScenario, Field(discriminator="kind")]
SCENARIOS: dict[str, type[CrashScenario | GapScenario | HaltScenario | CalmScenario]] = {
    "crash": CrashScenario,
    "gap": GapScenario,
    "halt": HaltScenario,
    "calm": CalmScenario,
}
