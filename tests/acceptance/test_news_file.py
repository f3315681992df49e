"""A backtest reads a timestamped news file beside the simulator's own stream, point in time."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from optionpilot.testing.backtests import run_backtest, sqlite_url

pytestmark = pytest.mark.slow


def test_news_file_items_are_scored_and_stored_when_their_time_comes(tmp_path: Path) -> None:
    news = tmp_path / "news.jsonl"
    items = [
        {
            "ts": "2026-10-30T14:00:00Z",
            "headline": "Nvidia beats estimates and raises guidance",
            "source": "wire",
        },
        {"ts": "2026-10-30T19:59:00Z", "headline": "$AMD slumps after downgrade", "source": "wire"},
        {"ts": "2026-10-31T15:00:00Z", "headline": "After the run: must never be read", "tickers": ["SPY"]},
    ]
    news.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    url = sqlite_url(tmp_path)
    bt, result = run_backtest(url, market={"sessions": 1}, run={"news": str(news)})
    assert result.reconciled
    con = sqlite3.connect(tmp_path / "bt.sqlite")
    rows = con.execute(
        "select ts, headline, tickers, sentiment_label from news where source = 'wire'"
    ).fetchall()
    headlines = {r[1]: r for r in rows}
    assert set(headlines) == {items[0]["headline"], items[1]["headline"]}
    assert "NVDA" in headlines[items[0]["headline"]][2]  # tagged from the company name
    assert "AMD" in headlines[items[1]["headline"]][2]  # tagged from the cashtag
    assert bt.pipeline.news_items >= 2
