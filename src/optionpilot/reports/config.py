"""The report's tunable numbers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReportConfig(BaseModel):
    """How metrics are annualised and how charts are drawn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    risk_free_rate: float = Field(default=0.0, ge=-0.05, le=0.5, description="annual, as a fraction")
    periods_per_year: int = Field(default=252, gt=0, description="sessions per year for annualising")
    # Annualising fewer sessions than this mostly magnifies noise, so CAGR is left out below it.
    cagr_min_sessions: int = Field(default=63, ge=1)
    max_chart_points: int = Field(default=1200, ge=50, description="equity samples drawn per chart line")
