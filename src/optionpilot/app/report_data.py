"""Filling the report's input from the database's read models (the report never sees the database)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from optionpilot.app.config import OptionPilotConfig
from optionpilot.core.calendars import MARKETS, Market
from optionpilot.core.errors import PersistenceError
from optionpilot.persistence.read_models import ReadModels
from optionpilot.reports.model import (
    AccountReport,
    ActiveRow,
    DayRow,
    EquityRow,
    RejectionCount,
    ReportData,
    StateChange,
    TradeRow,
)


def _exit_kind(reason: str) -> str:
    """The rule name that leads an exit reason, e.g. `exits.trailing_stop: ...` gives `trailing_stop`."""
    head = reason.split(":", 1)[0].strip()
    if head.startswith("exits."):
        return head.removeprefix("exits.")
    if "expired" in reason or "exercised" in reason or "assigned" in reason:
        return "expiry"
    if reason.startswith("entry "):
        return "entry_failed"
    return head[:40] if head else ""


def report_data(config: OptionPilotConfig, run_id: str) -> ReportData:
    models = ReadModels.from_url(config.run.db)
    runs = {r.run_id: r for r in models.runs()}
    run = runs.get(run_id)
    if run is None:
        raise PersistenceError(f"run {run_id} is not in the database")
    accounts_cfg = {a.name: a for a in config.accounts}
    accounts: list[AccountReport] = []
    first: datetime | None = None
    last: datetime | None = None
    for acct in models.accounts(run_id):
        curve = models.equity_curve(run_id, acct.account_id)
        greeks = {g.ts: g for g in models.greeks_over_time(run_id, acct.account_id)}
        rows = []
        for point in curve:
            g = greeks.get(point.ts)
            rows.append(
                EquityRow(
                    ts=point.ts,
                    cash=point.cash,
                    equity=point.equity,
                    delta=g.delta if g else 0.0,
                    gamma=g.gamma if g else 0.0,
                    vega=g.vega if g else 0.0,
                    theta=g.theta if g else 0.0,
                    exposure=abs(point.exposure),
                )
            )
        if curve:
            first = min(first or curve[0].ts, curve[0].ts)
            last = max(last or curve[-1].ts, curve[-1].ts)
        fills = models.trade_fills(run_id, acct.account_id)
        trades = []
        for tr in models.closed_trades(run_id, acct.account_id):
            f = fills.get(tr.position_id)
            if f is None or f.entry_price is None:
                continue  # an entry that never filled is a rejection, not a trade
            trades.append(
                TradeRow(
                    position_id=tr.position_id,
                    underlying=tr.underlying,
                    strategy_type=tr.strategy_type,
                    opened_at=tr.opened_at,
                    closed_at=tr.closed_at,
                    quantity=f.opened_quantity,
                    entry_price=f.entry_price,
                    exit_price=f.exit_price,
                    pnl=tr.net_pnl,
                    fees=tr.fees,
                    return_pct=(tr.return_pct or 0.0) * 100.0,
                    entry_reason=tr.entry_reason,
                    exit_reason=tr.exit_reason,
                    exit_kind=_exit_kind(tr.exit_reason),
                )
            )
        # Reasons carry numbers; counting by rule, with the most frequent wording as the example.
        grouped: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        for rc in models.rejection_counts(run_id, acct.account_id):
            grouped[(rc.stage, rc.rule)].append((rc.count, rc.reason))
        rejections = sorted(
            (
                RejectionCount(stage, rule, max(items)[1], sum(n for n, _ in items))
                for (stage, rule), items in grouped.items()
            ),
            key=lambda r: (-r.count, r.stage, r.rule),
        )
        open_at_end = models.open_position_count(run_id, acct.account_id)
        market = accounts_cfg[acct.name].market if acct.name in accounts_cfg else config.market.market
        as_of = run.ended_at or (curve[-1].ts if curve else run.started_at)
        days, active = _views(models, run_id, acct.account_id, market, as_of)
        changes = tuple(
            StateChange(c.ts, c.from_state, c.to_state, c.reason)
            for c in models.state_changes(run_id, acct.account_id)
        )
        accounts.append(
            AccountReport(
                account_id=acct.account_id,
                name=acct.name,
                currency=acct.currency,
                market=market,
                starting_cash=acct.starting_cash,
                equity=tuple(rows),
                trades=tuple(trades),
                rejections=tuple(rejections),
                open_positions_at_end=open_at_end,
                days=days,
                active=active,
                state_changes=changes,
            )
        )
    summary = {
        "seed": str(run.seed),
        "sessions": str(config.market.sessions),
        "underlyings": ", ".join(p.symbol for p in config.market.profiles),
        "accounts": ", ".join(
            f"{a.name} {a.starting_cash} ({a.multi_leg.value} legs)" for a in config.accounts
        ),
        "database": _mask(config.run.db),
    }
    scenario = config.market.scenario
    if scenario is not None:
        summary["scenario"] = scenario.model_dump_json()
    if run.summary_json:
        for key, value in json.loads(run.summary_json).items():
            summary[key] = value if isinstance(value, str) else json.dumps(value)
    end = run.ended_at or last or run.started_at
    return ReportData(
        title=config.run.title,
        run_id=run_id,
        mode=run.mode,
        period_start=(first or run.started_at).date(),
        period_end=(last or end).date(),
        generated_at=end.astimezone(UTC),
        config_summary=summary,
        accounts=tuple(accounts),
        status=run.status,
        scenario=scenario.kind if scenario is not None else "",
    )


def _views(
    models: ReadModels, run_id: str, account_id: str, market: Market, as_of: datetime
) -> tuple[tuple[DayRow, ...], tuple[ActiveRow, ...]]:
    """The database's daily-summary and active-positions views for one account, as report rows."""
    zone = ZoneInfo(MARKETS[market].timezone)
    days = tuple(
        DayRow(
            d.day, d.positions_opened, d.positions_closed, d.wins, d.losses, d.net_pnl, d.fees, d.fills,
            d.rejections,
        )
        for d in models.daily_summary(run_id, account_id, zone)
    )  # fmt: skip
    active = tuple(
        ActiveRow(
            a.position_id, a.underlying, a.strategy_type, a.instrument_key, a.expiry, a.days_to_expiry,
            a.quantity, a.avg_price, a.entry_delta, a.entry_theta, a.entry_vega, a.entry_iv,
        )
        for a in models.active_option_positions(run_id, as_of.astimezone(zone).date(), account_id)
    )  # fmt: skip
    return days, active


def _mask(url: str) -> str:
    from optionpilot.persistence.database import mask_url

    return mask_url(url)
