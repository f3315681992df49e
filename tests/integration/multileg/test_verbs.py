"""The verbs through the CLI against SQLite (and once against PostgreSQL), on two simulated symbols."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.cli.main import app
from optionpilot.core.calendars import Market
from optionpilot.persistence import strategy_store as store
from optionpilot.persistence.database import create_engine

SYMBOLS = ["--symbol", "SPY", "--symbol", "NVDA"]


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(app, list(args))
    return out.exit_code, out.output


def workflow(db: str, tmp_path: Path) -> None:
    code, text = run("scan", *SYMBOLS, "--db", db, "--json")
    assert code == 0, text
    scan = json.loads(text)
    assert [r["symbol"] for r in scan["best"]] == ["SPY", "NVDA"]
    assert all(r["conviction"] in {"VERY_HIGH", "HIGH", "MEDIUM", "LOW"} for r in scan["best"])
    assert scan["stored"] > 0 and scan["evaluated"] > scan["stored"]

    code, text = run("allocate", "50000", "--db", db, "--json")
    assert code == 0, text
    plan = json.loads(text)
    assert plan["scan_run"] == scan["run_id"] and plan["positions"]
    assert sum(float(p["capital"]) for p in plan["positions"]) == pytest.approx(float(plan["deployed"]))
    assert "not a promise" in plan["expected_monthly_return_is"]
    # One position per symbol (its best enterable strategy); every other candidate says why it was left out.
    assert sorted(p["symbol"] for p in plan["positions"]) == sorted({p["symbol"] for p in plan["positions"]})
    assert plan["left_out"] and all(x["rule"] and x["reason"] for x in plan["left_out"])
    assert (
        sum(plan["left_out_by_rule"].values())
        == len(plan["left_out"])
        == scan["stored"] - len(plan["positions"])
    )
    for tier, used in plan["tier_capital"].items():
        assert float(used) <= float(plan["tier_budget"][tier])

    code, text = run("execute", "--db", db, "--json")
    assert code == 0, text
    first = json.loads(text)
    opened = [e for e in first["entries"] if e["status"] == "open"]
    # execute sends every planned entry (the plan was screened as the desk screens), each with its rule.
    assert first["sent_capital"] == first["planned_capital"]
    assert float(first["planned_capital"]) == pytest.approx(float(plan["deployed"]))
    assert all(e["rule"] and e["reason"] for e in first["entries"])
    assert opened and all(e["entry_per_share"] is not None for e in opened)
    assert first["reconciliation"] == ["large: book and broker agree"]

    # The same plan again: every strategy already entered today is refused, none is sent twice.
    code, text = run("execute", "--db", db, "--json")
    assert code == 0, text
    second = json.loads(text)
    done = {(e["symbol"], e["strategy"]) for e in opened}
    again = [e for e in second["entries"] if (e["symbol"], e["strategy"]) in done]
    assert again and all(e["status"] == "skipped" and "already entered today" in e["reason"] for e in again)
    assert second["reconciliation"] == ["large: book and broker agree"]

    # --force enters one of them again, by its id.
    cid = opened[0]["candidate_id"]
    code, text = run("execute", "--strategy-id", cid, "--force", "--db", db, "--json")
    assert code == 0, text
    assert json.loads(text)["entries"][0]["status"] == "open"

    # A 60-day time exit flags every open position; alert-only sends nothing, a normal cycle closes them.
    cfg = tmp_path / "exit.toml"
    cfg.write_text("[strategies.exits]\ndte_exit_short_premium = 400\ndte_exit_other = 400\n")
    code, text = run("monitor", "--once", "--alert-only", "--db", db, "--config", str(cfg), "--json")
    assert code == 0, text
    alert = json.loads(text)
    assert alert["positions"] and all(p["action"] == "CLOSE" and not p["acted"] for p in alert["positions"])
    code, text = run("monitor", "--once", "--db", db, "--config", str(cfg), "--json")
    assert code == 0, text
    acted = json.loads(text)
    assert [p["position_id"] for p in acted["positions"]] == [p["position_id"] for p in alert["positions"]]
    assert all(p["acted"] for p in acted["positions"])
    code, text = run("monitor", "--once", "--db", db, "--json")
    assert code == 0 and json.loads(text)["positions"] == []
    engine = create_engine(db)
    try:
        run_id = store.latest_run(engine, store.STANDING_MODE)
        assert run_id == "standing-us-large"
        open_left = store.load_positions(engine, run_id, "large", {}, Market.US)
        assert open_left == []
    finally:
        engine.dispose()


def test_workflow_on_sqlite(tmp_path: Path) -> None:
    workflow(f"sqlite:///{tmp_path / 'ml.sqlite'}", tmp_path)


@pytest.mark.postgres
def test_workflow_on_postgres(pg_schema_url: str, tmp_path: Path) -> None:
    workflow(pg_schema_url, tmp_path)


def test_errors_are_one_line_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = f"sqlite:///{tmp_path / 'e.sqlite'}"
    for name in ("OPTIONPILOT_LIVE__ALPACA_KEY_ID", "OPTIONPILOT_LIVE__ALPACA_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    code, text = run("execute", "--live", "--db", db)
    assert code == 2 and "credentials" in text and len(text.strip().splitlines()) == 1
    monkeypatch.setenv("OPTIONPILOT_LIVE__ALPACA_KEY_ID", "k")
    monkeypatch.setenv("OPTIONPILOT_LIVE__ALPACA_SECRET_KEY", "s")
    code, text = run("monitor", "--live", "--once", "--db", db)
    assert code == 2 and "no live broker adapter" in text
    code, text = run("allocate", "1000", "--db", db)
    assert code == 2 and "run `optionpilot scan` first" in text
    code, text = run("scan", "--symbol", "XYZ", "--db", db)
    assert code == 2 and "XYZ" in text
    code, text = run("allocate", "-5", "--db", db)
    assert code == 2
    code, text = run("scan", "--data", str(tmp_path), "--db", db)
    assert code == 2 and "not a market-data store" in text
    code, text = run("scan", "--symbol", "SPY", "--db", db, "--json")
    assert code == 0, text
    code, text = run("allocate", "1000", "--market", "IN", "--db", db)
    assert code == 2 and "did not look at simin" in text and "--data/--market" in text


def test_iv_collect_then_analyze(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'iv.sqlite'}"
    code, text = run("iv", "collect", "--symbol", "SPY", "--days", "30", "--db", db, "--json")
    assert code == 0 and json.loads(text)["stored"] == 30, text
    code, text = run("iv", "analyze", "--db", db, "--json")
    assert code == 0, text
    (row,) = json.loads(text)["symbols"]
    assert row["symbol"] == "SPY" and row["sessions"] == 29 and 0 <= row["iv_percentile"] <= 100


def test_scan_on_india(tmp_path: Path) -> None:
    code, text = run("scan", "--market", "IN", "--db", f"sqlite:///{tmp_path / 'in.sqlite'}", "--json")
    assert code == 0, text
    best = {r["symbol"]: r for r in json.loads(text)["best"]}
    assert set(best) == {"NIFTY", "BANKNIFTY"} and all(r["strategy"] for r in best.values())
