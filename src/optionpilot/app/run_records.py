"""A stored run seen from the database alone: its configuration, flow, period and headline figures.

`runs list/show/compare/report` and the sweeps read these; nothing here needs the files the run was started
with (the configuration is the masked copy the run stored).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.report_data import report_data
from optionpilot.core.calendars import calendar_for
from optionpilot.core.errors import ConfigError
from optionpilot.persistence.read_models import ReadModels, RunRow
from optionpilot.persistence.research_store import ResearchStore
from optionpilot.reports.metrics import account_metrics
from optionpilot.reports.model import ReportData

SIMULATOR_RUN = re.compile(r"(bt|run-sim)-s\d+-\d{8}-")  # `app.backtest.run_id_for`
FLOW_SUFFIXES = {"-main-multileg": "both", "-main": "main", "-multileg": "multileg"}


def run_config(run: RunRow, url: str) -> OptionPilotConfig:
    """The configuration the run stored, pointed at the database it was read from (its URL was masked)."""
    try:
        data = json.loads(run.config_json or "{}")
        data.setdefault("run", {})["db"] = url
        return OptionPilotConfig.model_validate(data)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"run {run.run_id}: its stored configuration does not load: {first}") from None


def summary_of(run: RunRow) -> dict[str, Any]:
    try:
        loaded = json.loads(run.summary_json) if run.summary_json else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def flow_of(run: RunRow) -> str:
    """Stored in the summary by newer runs; older ones say it in their id's suffix (none: both)."""
    flows = summary_of(run).get("flows")
    if isinstance(flows, list) and flows:
        return "both" if set(flows) == {"main", "multileg"} else "+".join(sorted(flows))
    for suffix, name in FLOW_SUFFIXES.items():
        if suffix in run.run_id:
            return name
    return "both"


def period_of(run: RunRow, config: OptionPilotConfig | None) -> str:
    """First and last session: from the summary, else the simulator's window in the configuration."""
    period = summary_of(run).get("period")
    if isinstance(period, list) and len(period) == 2:
        return f"{period[0]}..{period[1]}"
    if config is None or not SIMULATOR_RUN.match(run.run_id):
        return "-"
    m = config.market
    sessions = calendar_for(m.market).sessions_ending(m.end, m.sessions)
    return f"{sessions[0].day}..{sessions[-1].day}"


def _text(x: object) -> str | None:
    return None if x is None else str(x)


def headline(data: ReportData) -> dict[str, dict[str, Any]]:
    """Per account id: the figures a quant ranks runs by (money as text, ratios as floats)."""
    out: dict[str, dict[str, Any]] = {}
    for account in data.accounts:
        m = account_metrics(account)
        out[account.account_id] = {
            "name": account.name,
            "currency": account.currency,
            "starting_cash": str(m.starting_cash),
            "final_equity": str(m.final_equity),
            "net_pnl": str(m.net_pnl),
            "total_return": m.total_return,
            "sharpe": m.sharpe,
            "sortino": m.sortino,
            "max_drawdown": m.max_drawdown.fraction,
            "trades": m.trades.trades,
            "win_rate": m.trades.win_rate,
            "profit_factor": m.trades.profit_factor,
            "fees": _text(m.total_fees),
            "sessions": m.sessions,
        }
    return out


def record_figures(url: str, run_id: str, data: ReportData) -> dict[str, dict[str, Any]]:
    """Compute and store a run's headline figures; returns them."""
    figures = headline(data)
    models = ReadModels.from_url(url)
    try:
        ResearchStore(models.engine).save_figures(run_id, figures)
    finally:
        models.engine.dispose()
    return figures


def figures_for(models: ReadModels, run: RunRow, url: str) -> dict[str, dict[str, Any]]:
    """Stored figures, or computed from the run's records (not stored: reading never writes)."""
    stored = ResearchStore(models.engine).figures([run.run_id]).get(run.run_id)
    if stored:
        return stored
    return headline(report_data(run_config(run, url), run.run_id))
