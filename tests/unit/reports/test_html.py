from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from optionpilot.core.errors import ConfigError
from optionpilot.reports.html import render_report, state_change_lines, summary_rows, write_report
from optionpilot.reports.model import AccountReport, RejectionCount, ReportData, StateChange, TradeRow

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
EVIL = "<script>alert('x')</script> & \"quoted\" <img src=x onerror=alert(1)>"


class _Checker(HTMLParser):
    """Fails on a closing tag that does not match the element it closes; records every URL attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in {"src", "href", "xlink:href", "action"}]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in {"src", "href", "xlink:href", "action"}]

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        open_tag = self.stack.pop()
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == [], f"unclosed elements: {checker.stack}"
    return checker


@pytest.fixture
def full(
    make_account: Callable[..., AccountReport],
    make_trade: Callable[..., TradeRow],
    make_report: Callable[..., ReportData],
) -> ReportData:
    large = make_account(
        [100, 103, 98, 104, 107],
        [
            make_trade(
                "30",
                strategy="long_call/day_trade",
                entry_reason="sentiment 0.71 and a volume surge",
                exit_reason="take profit at +25%",
                position_id="pos-a",
            ),
            make_trade(
                "-12",
                strategy="long_put/day_trade",
                entry_reason="bearish gap below VWAP",
                exit_reason="stop loss at -30%",
                position_id="pos-b",
            ),
            make_trade(
                "5",
                strategy="long_call/day_trade",
                entry_reason=EVIL,
                exit_reason="trailing stop",
                position_id="pos-c",
            ),
        ],
        rejections=[
            RejectionCount("liquidity", "liquidity.open_interest", "open interest 80 below 100", 40),
            RejectionCount("sizing", "sizing.max_position", "would exceed 10% of equity", 7),
        ],
    )
    tiny = make_account(
        [1000, 990, 1012], [make_trade("12", position_id="pos-t")], account_id="tiny", starting_cash="1000"
    )
    return make_report(large, tiny)


def test_page_is_well_formed_and_self_contained(full: ReportData) -> None:
    page = render_report(full)
    checker = _parse(page)
    assert page.lstrip().lower().startswith("<!doctype html>")
    external = [u for u in checker.urls if not u.startswith("#")]
    assert external == [], f"links that leave the page: {external}"
    assert not re.search(r"https?://", page), "the page must not reference anything online"
    assert "@import" not in page and "url(" not in page
    assert page.count("<svg") >= 2 * (2 + 4)  # equity, drawdown and four Greeks per account


def test_every_trade_reason_is_on_the_page(full: ReportData) -> None:
    text = "".join(_parse(render_report(full)).text)
    for account in full.accounts:
        for t in account.trades:
            assert t.entry_reason in text
            assert t.exit_reason in text
            assert t.position_id in text


def test_malicious_reason_is_escaped(full: ReportData) -> None:
    page = render_report(full)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror" in page
    assert EVIL in "".join(_parse(page).text)  # shown to the reader exactly as written
    assert page.count("<script>") == 1  # only the table sorter


def test_header_shows_run_mode_period_and_config(full: ReportData) -> None:
    text = " ".join(_parse(render_report(full)).text)
    for expected in (
        "run-1",
        "backtest",
        full.period_start.isoformat(),
        full.period_end.isoformat(),
        "backtest.seed",
        "****",
    ):
        assert expected in text


def test_rejections_counted_by_reason(full: ReportData) -> None:
    text = " ".join(_parse(render_report(full)).text)
    assert "open interest 80 below 100" in text
    assert "Rejections by reason (47)" in text
    assert "85.1%" in text  # 40 of 47


def test_metrics_and_strategy_figures(full: ReportData) -> None:
    text = " ".join(_parse(render_report(full)).text)
    assert "+7.00%" in text  # 100 -> 107
    assert "long_call/day_trade" in text and "long_put/day_trade" in text
    assert "+$35.00" in text  # long calls: 30 + 5


def test_zero_trades_and_one_account(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData]
) -> None:
    page = render_report(make_report(make_account([100, 100, 100])))
    text = " ".join(_parse(page).text)
    assert "No trades in this run." in text
    assert "Nothing was rejected." in text
    assert not re.search(r"\bnan\b", page, re.IGNORECASE)
    assert "account-2" not in page


def test_no_equity_marks_at_all(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData]
) -> None:
    text = " ".join(_parse(render_report(make_report(make_account([])))).text)
    assert "No data" in text


def test_no_accounts(make_report: Callable[..., ReportData]) -> None:
    text = " ".join(_parse(render_report(make_report())).text)
    assert "No accounts in this run." in text


def test_all_wins_show_infinite_profit_factor(
    make_account: Callable[..., AccountReport],
    make_trade: Callable[..., TradeRow],
    make_report: Callable[..., ReportData],
) -> None:
    data = make_report(make_account([100, 110], [make_trade("10"), make_trade("4")]))
    assert summary_rows(data)[0]["Profit factor"] == "∞"
    assert "∞" in render_report(data)


def test_summary_rows(full: ReportData) -> None:
    rows = summary_rows(full)
    assert [r["Account"] for r in rows] == ["Large", "Tiny"]
    large = rows[0]
    assert large["Final equity"] == "$107.00"
    assert large["Return"] == "+7.00%"
    assert large["Trades"] == "3"
    assert large["Win rate"] == "66.7%"
    assert large["Profit factor"] == f"{35 / 12:.2f}"
    assert large["Max DD"] == f"{5 / 103 * 100:.2f}%"


def test_write_report(full: ReportData, tmp_path: Path) -> None:
    path = write_report(full, tmp_path / "out")
    assert path == tmp_path / "out" / "report-run-1.html"
    assert path.read_text(encoding="utf-8") == render_report(full)


def test_write_report_keeps_the_file_name_safe(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData], tmp_path: Path
) -> None:
    path = write_report(make_report(make_account(), run_id="../../etc/x y"), tmp_path)
    assert path.parent == tmp_path and "/" not in path.name[len("report-") :]


def test_write_report_names_a_bad_directory(full: ReportData, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="report directory"):
        write_report(full, blocker / "sub")


def test_many_intraday_marks_are_thinned(
    make_account: Callable[..., AccountReport], make_report: Callable[..., ReportData]
) -> None:
    marks = [100 + (i % 7) for i in range(8000)]
    acc = make_account(marks, step=timedelta(minutes=1))
    page = render_report(make_report(acc))
    _parse(page)
    longest = max(len(m) for m in re.findall(r'points="([^"]*)"', page))
    assert longest < 8000 * 8  # well under one point per mark


def test_breaker_trips_and_the_scenario_are_shown(full: ReportData) -> None:
    large = full.accounts[0]
    trip = large.equity[1].ts + timedelta(minutes=5)
    changes = (
        StateChange(trip, "active", "reducing", "risk.daily_loss: loss today 3,700.00 (3.1% of 121,000.00)"),
        StateChange(
            trip + timedelta(hours=1), "reducing", "halted", "risk.daily_loss_halt: loss today 6,100.00"
        ),
    )
    data = dataclasses.replace(
        full, accounts=(dataclasses.replace(large, state_changes=changes), full.accounts[1]), scenario="crash"
    )
    text = " ".join(_parse(render_report(data)).text)
    assert "Scenario crash" in " ".join(text.split())
    assert "Trading state changes (2)" in text and "Trading state changes (0)" in text
    assert "risk.daily_loss: loss today 3,700.00" in text and "risk.daily_loss_halt" in text
    assert "no breaker tripped" in text  # the tiny account
    lines = state_change_lines(data)
    assert len(lines) == 2
    assert lines[0].endswith(
        "Large: active -> reducing: risk.daily_loss: loss today 3,700.00 (3.1% of 121,000.00)"
    )
    assert "reducing -> halted" in lines[1]
    assert state_change_lines(full) == []
