"""The backtest report: one self-contained HTML file (inline CSS, inline SVG) that opens offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
import numpy as np
from markupsafe import Markup, escape

from optionpilot.core.calendars import MARKETS
from optionpilot.core.errors import ConfigError
from optionpilot.core.money import to_decimal
from optionpilot.reports import display, svg
from optionpilot.reports.config import ReportConfig
from optionpilot.reports.metrics import AccountMetrics, TradeStats, account_metrics, drawdown_series
from optionpilot.reports.model import AccountReport, ReportData

_MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    tone: str = ""  # "pos", "neg" or "" for colouring the value
    hint: str = ""


@dataclass(frozen=True, slots=True)
class AccountView:
    """Everything the template shows for one account, already formatted."""

    account: AccountReport
    metrics: AccountMetrics
    zone: ZoneInfo
    key_figures: list[Figure]
    figures: list[Figure]
    equity_chart: Markup
    drawdown_chart: Markup
    greek_charts: list[Markup]
    strategy_pnl_chart: Markup
    strategy_win_chart: Markup

    def money(self, value: Decimal | None, signed: bool = False) -> str:
        return display.money(value, self.account.currency, signed=signed)

    def money_float(self, value: float | None, signed: bool = False) -> str:
        """A float amount (a Greek in currency) to the cent; a dash when there is none."""
        return display.NONE if value is None else self.money(to_decimal(round(value, 2)), signed)

    @staticmethod
    def number(value: float | None) -> str:
        return display.NONE if value is None else display.number(value)

    def when(self, t: datetime | None) -> str:
        return display.when(t, self.zone)

    def when_cell(self, t: datetime | None) -> Markup:
        """Date and time that wrap only between each other."""
        text = escape(display.when(t, self.zone))
        return Markup(" ").join(Markup('<span class="nobr">%s</span>') % part for part in text.split(" "))

    @staticmethod
    def breakable(label: str) -> Markup:
        """A strategy label that may wrap after each '/'."""
        return Markup("/<wbr>").join(escape(label).split("/"))


def _tone(x: float | None) -> str:
    if x is None or x == 0:
        return ""
    return "pos" if x > 0 else "neg"


def _session_ticks(days: list[date]) -> list[tuple[int, str]]:
    starts = [i for i in range(len(days)) if i == 0 or days[i] != days[i - 1]]
    step = max(1, -(-len(starts) // _MAX_X_LABELS))
    return [(i, days[i].strftime("%b %d")) for i in starts[::step]]


def _strategy_label(s: TradeStats) -> str:
    return s.label or "(none)"


def _account_view(account: AccountReport, cfg: ReportConfig) -> AccountView:
    m = account_metrics(account, cfg)
    zone = ZoneInfo(MARKETS[account.market].timezone)
    cur = account.currency

    def money(v: Decimal | None, signed: bool = False) -> str:
        return display.money(v, cur, signed=signed)

    dd = m.max_drawdown
    t = m.trades
    key_figures = [
        Figure("Final equity", money(m.final_equity)),
        Figure("Net P&L", money(m.net_pnl, signed=True), _tone(float(m.net_pnl))),
        Figure("Total return", display.percent(m.total_return, signed=True), _tone(m.total_return)),
        Figure("Sharpe", display.ratio(m.sharpe)),
        Figure("Max drawdown", display.percent(dd.fraction), _tone(-dd.fraction)),
        Figure("Closed trades", str(t.trades)),
        Figure("Win rate", display.percent(t.win_rate, digits=1)),
        Figure("Profit factor", display.ratio(t.profit_factor)),
    ]
    figures = [
        Figure("Starting cash", money(m.starting_cash)),
        Figure("Final equity", money(m.final_equity)),
        Figure("Net P&L (after fees)", money(m.net_pnl, signed=True), _tone(float(m.net_pnl))),
        Figure("Total return", display.percent(m.total_return, signed=True), _tone(m.total_return)),
        Figure(
            "CAGR",
            display.percent(m.cagr, signed=True),
            _tone(m.cagr),
            "" if m.cagr is not None else f"needs {cfg.cagr_min_sessions}+ sessions",
        ),
        Figure("Sessions", str(m.sessions)),
        Figure("Volatility (annualised)", display.percent(m.volatility)),
        Figure(
            "Sharpe",
            display.ratio(m.sharpe),
            hint=f"rf {display.percent(cfg.risk_free_rate)}, √{cfg.periods_per_year}",
        ),
        Figure("Sortino", display.ratio(m.sortino)),
        Figure("Max drawdown", f"{display.percent(dd.fraction)} ({money(dd.amount)})", _tone(-dd.fraction)),
        Figure(
            "Drawdown peak → trough",
            f"{_peak(dd.peak_at, dd.trough_at, zone)} → {display.when(dd.trough_at, zone)}",
        ),
        Figure("Recovered", display.when(dd.recovered_at, zone) if dd.trough_at else display.NONE),
        Figure("Closed trades", str(t.trades)),
        Figure("Wins / losses", f"{t.wins} / {t.losses}"),
        Figure("Win rate", display.percent(t.win_rate, digits=1)),
        Figure("Average win", money(t.avg_win, signed=True), "pos" if t.avg_win else ""),
        Figure("Average loss", money(t.avg_loss, signed=True), "neg" if t.avg_loss else ""),
        Figure("Expectancy per trade", money(t.expectancy, signed=True), _tone(_f(t.expectancy))),
        Figure("Profit factor", display.ratio(t.profit_factor)),
        Figure("Gross profit / loss", f"{money(t.gross_profit)} / {money(t.gross_loss)}"),
        Figure("Fees (all trades)", money(m.total_fees)),
        Figure("Time in market", display.percent(m.time_in_market, digits=1), hint="share of equity marks"),
        Figure("Average gross exposure", display.percent(m.avg_exposure, digits=1), hint="of equity"),
        Figure("Open positions at end", str(account.open_positions_at_end)),
        Figure("Rejections", f"{m.rejections:,}"),
    ]

    rows = account.equity
    n = len(rows)
    days = [r.ts.astimezone(zone).date() for r in rows]
    ticks = _session_ticks(days)
    eq = np.fromiter((float(r.equity) for r in rows), dtype=np.float64, count=n)
    cash = np.fromiter((float(r.cash) for r in rows), dtype=np.float64, count=n)
    start_line = np.full(n, float(account.starting_cash))
    _, dd_frac = drawdown_series(eq, float(account.starting_cash))
    equity_chart = svg.line_chart(
        [
            svg.Line(start_line, "starting cash", "#9aa3ad", dashed=True),
            svg.Line(cash, "cash", "#e0a030"),
            svg.Line(eq, "equity", "#2563eb"),
        ],
        title="Equity",
        n=n,
        x_ticks=ticks,
        max_points=cfg.max_chart_points,
    )
    drawdown_chart = svg.line_chart(
        [svg.Line(dd_frac * 100.0, "drawdown %", svg.NEGATIVE, fill=True)],
        title="Drawdown from peak (%)",
        y_format=lambda v: f"{v:.3g}%",
        height=180,
        n=n,
        x_ticks=ticks,
        max_points=cfg.max_chart_points,
    )
    greeks = []
    for name, label, color in (
        ("delta", "Delta (share equivalents)", "#2563eb"),
        ("gamma", "Gamma", "#7c3aed"),
        ("vega", f"Vega ({cur} per vol point)", "#0d9488"),
        ("theta", f"Theta ({cur} per day)", "#c2410c"),
    ):
        values = np.fromiter((float(getattr(r, name)) for r in rows), dtype=np.float64, count=n)
        greeks.append(
            svg.line_chart(
                [svg.Line(values, name, color, fill=True)],
                title=label,
                width=600,
                height=200,
                n=n,
                x_ticks=ticks,
                max_points=cfg.max_chart_points,
            )
        )
    strategies = list(m.by_strategy)
    labels = [_strategy_label(s) for s in strategies]
    pnl_chart = svg.bar_chart(
        labels,
        [float(s.net_pnl) for s in strategies],
        title="Net P&L by strategy type",
        value_format=lambda v: display.money(to_decimal(v), cur, signed=True),
    )
    win_chart = svg.bar_chart(
        labels,
        [s.win_rate or 0.0 for s in strategies],
        title="Win rate by strategy type",
        value_format=lambda v: display.percent(v, digits=0),
        fixed_max=1.0,
        color="#2563eb",
    )
    return AccountView(
        account, m, zone, key_figures, figures, equity_chart, drawdown_chart, greeks, pnl_chart, win_chart
    )


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


def _peak(peak_at: datetime | None, trough_at: datetime | None, zone: ZoneInfo) -> str:
    if trough_at is None:
        return display.NONE
    return display.when(peak_at, zone) if peak_at is not None else "start"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("optionpilot.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = display.percent
    env.filters["ratio"] = display.ratio
    return env


def render_report(data: ReportData, config: ReportConfig | None = None) -> str:
    """The report as one HTML string."""
    cfg = config or ReportConfig()
    views = [_account_view(a, cfg) for a in data.accounts]
    template = _environment().get_template("report.html")
    return template.render(
        data=data,
        views=views,
        summary=[_summary_row(v.account, v.metrics) for v in views],
        generated=data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        cfg=cfg,
    )


def write_report(data: ReportData, out_dir: Path, config: ReportConfig | None = None) -> Path:
    """Write `report-<run_id>.html` into `out_dir` (created if missing) and return its path."""
    safe_id = "".join(c if c.isalnum() or c in "-_." else "_" for c in data.run_id).strip(".") or "run"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"report directory {out_dir} cannot be created: {exc.strerror}") from exc
    path = out_dir / f"report-{safe_id}.html"
    page = render_report(data, config)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"report file {path} cannot be written: {exc.strerror}") from exc
    return path


def summary_rows(data: ReportData, config: ReportConfig | None = None) -> list[dict[str, str]]:
    """One row of formatted figures per account, for the CLI's closing table (keys are the headers)."""
    cfg = config or ReportConfig()
    return [_summary_row(a, account_metrics(a, cfg)) for a in data.accounts]


def state_change_lines(data: ReportData) -> list[str]:
    """One line per trading-state change of every account, in the account's market time, for the CLI."""
    out = []
    for account in data.accounts:
        zone = ZoneInfo(MARKETS[account.market].timezone)
        for c in account.state_changes:
            local = f"{display.when(c.ts, zone)} {c.ts.astimezone(zone):%Z}"
            out.append(f"{local} {account.name}: {c.from_state} -> {c.to_state}: {c.reason}")
    return out


def _summary_row(account: AccountReport, m: AccountMetrics) -> dict[str, str]:
    cur = account.currency
    return {
        "Account": account.name,
        "Start": display.money(m.starting_cash, cur),
        "Final equity": display.money(m.final_equity, cur),
        "Net P&L": display.money(m.net_pnl, cur, signed=True),
        "Return": display.percent(m.total_return, signed=True),
        "Sharpe": display.ratio(m.sharpe),
        "Max DD": display.percent(m.max_drawdown.fraction),
        "Trades": str(m.trades.trades),
        "Win rate": display.percent(m.trades.win_rate, digits=1),
        "Profit factor": display.ratio(m.trades.profit_factor),
        "Fees": display.money(m.total_fees, cur),
        "Open at end": str(account.open_positions_at_end),
    }
