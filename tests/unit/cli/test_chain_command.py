"""`optionpilot chain greeks` on real files: output columns, the summary, and a bad file's exit code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from typer.testing import CliRunner

from optionpilot.cli.chain import app
from optionpilot.pricing import IVReason


def test_greeks_writes_parquet_with_iv_and_reasons(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "spy.parquet"
    src = shared_data / "options/eod/spy_2021/prod_options_1y.csv"
    result = CliRunner().invoke(app, ["greeks", str(src), "--out", str(out), "--rate", "0.0005"])
    assert result.exit_code == 0, result.output
    assert "IV solved" in result.output
    table = pq.read_table(out)
    assert {"T", "iv", "iv_bid", "iv_ask", "delta", "gamma", "vega", "theta", "iv_reason"} <= set(
        table.column_names
    )
    iv = table["iv"].to_numpy()
    reason = np.asarray(table["iv_reason"].to_pylist())
    assert np.all(np.isfinite(iv[reason == ""])) and np.all(np.isnan(iv[reason != ""]))
    assert set(reason[reason != ""]) <= {r.label for r in IVReason}
    assert np.mean(reason == "") > 0.99
    assert np.all((iv[reason == ""] > 0.01) & (iv[reason == ""] < 3.0))


def test_greeks_with_a_rates_file_writes_csv(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "vxx.csv"
    src = shared_data / "options/eod/vxx_2016/vxx_options_2016.csv"
    rates = shared_data / "rates/treasury_curves_1990_2017.csv"
    result = CliRunner().invoke(app, ["greeks", str(src), "--out", str(out), "--rates-file", str(rates)])
    assert result.exit_code == 0, result.output
    assert "no IV: no bid" in result.output
    assert out.read_text().count("\n") == 27941


def test_bad_file_is_one_line_and_exit_2(shared_data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["greeks", str(shared_data / "options/eod/spy_2021/prod_stocks_1y.csv")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "cannot tell the format" in result.output
    missing = CliRunner().invoke(app, ["greeks", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
