"""`optionpilot chain greeks FILE`: implied vols and Greeks for every row of an option-chain file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.table import Table

from optionpilot.adapters.files.chain_table import ReadReport
from optionpilot.adapters.files.detect import read_chain
from optionpilot.adapters.files.treasury_rates import TreasuryCurves
from optionpilot.cli.console import make_console
from optionpilot.core.errors import OptionPilotError
from optionpilot.pricing import IVReason, bs_greeks, quote_implied_vols
from optionpilot.pricing.config import DEFAULT_PRICING

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="Option-chain files: implied vols and Greeks."
)


@app.callback()
def _group() -> None:
    """Keeps `greeks` a named sub-command even while it is the only one."""


_SECONDS_PER_YEAR = DEFAULT_PRICING.days_per_year * 86_400.0


def chain_greeks(
    table: pa.Table,
    *,
    rate: float | None = None,
    curves: TreasuryCurves | None = None,
    dividend_yield: float = 0.0,
) -> pa.Table:
    """The chain with T, r, iv (mid, bid, ask), delta, gamma, vega, theta (per year and day) and iv_reason."""
    quote_us = table["quote_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    expiry_us = table["expiry_ts"].cast(pa.int64()).to_numpy(zero_copy_only=False)
    T = (expiry_us - quote_us) / 1e6 / _SECONDS_PER_YEAR
    if curves is not None:
        days = table["quote_ts"].cast(pa.timestamp("us")).cast(pa.date32()).to_numpy(zero_copy_only=False)
        r = curves.rates(days.astype("datetime64[D]"), np.maximum(T, 0.0))
    else:
        r = np.full(T.shape, 0.0 if rate is None else rate)
    f = {
        name: table[name].to_numpy(zero_copy_only=False).astype(np.float64)
        for name in ("bid", "ask", "strike", "underlying_price")
    }
    is_call = pc.equal(table["right"], "C").to_numpy(zero_copy_only=False)
    ivs = quote_implied_vols(
        f["bid"], f["ask"], f["underlying_price"], f["strike"], T, r, dividend_yield, is_call
    )
    g = bs_greeks(f["underlying_price"], f["strike"], T, r, dividend_yield, ivs.mid, is_call)
    labels = np.array([IVReason(i).label for i in range(len(IVReason))], dtype=object)
    extra = {
        "T": T,
        "r": r,
        "iv": ivs.mid,
        "iv_bid": ivs.bid,
        "iv_ask": ivs.ask,
        "delta": g.delta,
        "gamma": g.gamma,
        "vega": g.vega,
        "theta": g.theta,
        "theta_day": g.theta / DEFAULT_PRICING.days_per_year,
        "iv_reason": labels[ivs.reason],
    }
    for name, values in extra.items():
        table = table.append_column(name, pa.array(values))
    return table


def _summary(console: Console, report: ReadReport, out: pa.Table) -> None:
    reasons = out["iv_reason"].to_numpy(zero_copy_only=False)
    solved = int(np.count_nonzero(reasons == ""))
    t = Table(title=f"chain greeks: {report.source}", show_header=True)
    t.add_column("what")
    t.add_column("rows", justify="right")
    t.add_row("rows read", str(report.rows_read))
    for reason, n in report.skipped.most_common():
        t.add_row(f"skipped: {reason}", str(n))
    t.add_row("rows priced", str(out.num_rows))
    t.add_row("IV solved (mid)", str(solved))
    labels, counts = np.unique(reasons[reasons != ""], return_counts=True)
    for label, n in sorted(zip(labels, counts, strict=True), key=lambda x: -int(x[1])):
        t.add_row(f"no IV: {label}", str(int(n)))
    console.print(t)


@app.command()
def greeks(
    file: Annotated[Path, typer.Argument(help="an option-chain file in any supported format")],
    out: Annotated[Path | None, typer.Option(help="write the result here: .csv or .parquet")] = None,
    rate: Annotated[float | None, typer.Option(help="one continuously compounded risk-free rate")] = None,
    rates_file: Annotated[
        Path | None, typer.Option(help="a Treasury curve CSV, by quote date and tenor")
    ] = None,
    dividend_yield: Annotated[float, typer.Option(help="continuous dividend yield of the underlying")] = 0.0,
) -> None:
    """Add T, iv (mid, bid, ask), delta, gamma, vega, theta and the reason where no IV exists."""
    console = make_console()
    try:
        if rate is not None and rates_file is not None:
            raise typer.BadParameter("give --rate or --rates-file, not both")
        if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
            raise typer.BadParameter(f"--out must end in .csv or .parquet, got {out.name}")
        curves = TreasuryCurves.read(rates_file) if rates_file is not None else None
        table, report = read_chain(file)
        result = chain_greeks(table, rate=rate, curves=curves, dividend_yield=dividend_yield)
        if out is not None:
            if out.suffix.lower() == ".parquet":
                pq.write_table(result, out)
            else:
                pacsv.write_csv(result, out)
    except (OptionPilotError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _summary(console, report, result)
    if rate is None and curves is None:
        console.print("rate: 0 (no --rate or --rates-file given)")
