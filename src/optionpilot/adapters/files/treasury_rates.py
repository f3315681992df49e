"""US Treasury yield curves (`rates/treasury_curves_1990_2017.csv`): a risk-free rate for a date and tenor.

Rates are the curve as of the latest date on or before the one asked (never a later one), linear in tenor
with flat ends, converted from the quoted annual yield to continuous compounding: ln(1 + y).
"""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import DataError

_TENOR_YEARS = {
    "1month": 1 / 12, "3month": 0.25, "6month": 0.5, "1year": 1.0, "2year": 2.0, "3year": 3.0,
    "5year": 5.0, "7year": 7.0, "10year": 10.0, "20year": 20.0, "30year": 30.0,
}  # fmt: skip


class RatesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_staleness_days: int = Field(7, ge=0, description="oldest curve (in days) accepted for a date")


class TreasuryCurves:
    def __init__(
        self, days: np.ndarray, tenors: np.ndarray, yields: np.ndarray, source: str, config: RatesConfig
    ) -> None:
        self.days = days  # datetime64[D], ascending
        self.tenors = tenors  # years, ascending
        self.yields = yields  # (days, tenors), annual decimal yields, NaN where not quoted
        self.source = source
        self.config = config

    @classmethod
    def read(cls, path: Path, config: RatesConfig | None = None) -> TreasuryCurves:
        cfg = config or RatesConfig()
        if not path.is_file():
            raise DataError("no such rates file", source=str(path))
        with path.open(newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip().lower() for h in next(reader, [])]
            cols = [(i, _TENOR_YEARS[h]) for i, h in enumerate(header) if h in _TENOR_YEARS]
            if not header or len(cols) < 2:
                raise DataError(
                    "not a Treasury curve file (date column then 1month..30year)", source=str(path), line=1
                )
            days: list[date] = []
            rows: list[list[float]] = []
            for line, rec in enumerate(reader, start=2):
                try:
                    days.append(date.fromisoformat(rec[0].strip()[:10]))
                    rows.append([float(rec[i]) if rec[i].strip() else math.nan for i, _ in cols])
                except (ValueError, IndexError):
                    raise DataError("bad date or yield", source=str(path), line=line) from None
        if not days:
            raise DataError("no curves in the file", source=str(path))
        d = np.array(days, dtype="datetime64[D]")
        order = np.argsort(d, kind="stable")
        return cls(d[order], np.array([t for _, t in cols]), np.array(rows)[order], str(path), cfg)

    def rate(self, day: date, tenor_years: float) -> float:
        return float(self.rates(np.array([day], dtype="datetime64[D]"), np.array([tenor_years]))[0])

    def rates(self, days: ArrayLike, tenor_years: ArrayLike) -> np.ndarray:
        """Continuously compounded rates for each (day, tenor); a DataError names a day with no curve."""
        dd = np.asarray(days, dtype="datetime64[D]")
        tt = np.asarray(tenor_years, dtype=np.float64)
        dd, tt = np.broadcast_arrays(dd, tt)
        pos = np.searchsorted(self.days, dd, side="right") - 1
        stale = (pos < 0) | (
            (dd - self.days[np.maximum(pos, 0)]).astype(np.int64) > self.config.max_staleness_days
        )
        if stale.any():
            bad = dd[stale].reshape(-1)[0]
            raise DataError(
                f"no curve within {self.config.max_staleness_days} days on or before {bad} "
                f"(the file covers {self.days[0]}..{self.days[-1]})",
                source=self.source,
            )
        out = np.empty(dd.shape)
        for idx in np.ndindex(dd.shape):
            row = self.yields[pos[idx]]
            ok = np.isfinite(row)
            out[idx] = np.interp(tt[idx], self.tenors[ok], row[ok])
        return np.log1p(out)


RATES_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("tenor_years", pa.float64()),
        ("yield", pa.float64()),  # annual decimal yield as quoted
        ("source_line", pa.int64()),
    ]
)


def read_rates_table(path: Path) -> pa.Table:
    """The curve file in long form (one row per quoted day and tenor), for the store."""
    curves = TreasuryCurves.read(path)
    n_days, n_tenors = curves.yields.shape
    ok = np.isfinite(curves.yields).reshape(-1)
    # Lines follow the (sorted) file order: a curve file is one header then one day per line.
    lines = np.repeat(np.arange(n_days, dtype=np.int64) + 2, n_tenors)
    return pa.Table.from_arrays(
        [
            pa.array(np.repeat(curves.days, n_tenors)[ok]),
            pa.array(np.tile(curves.tenors, n_days)[ok]),
            pa.array(curves.yields.reshape(-1)[ok]),
            pa.array(lines[ok]),
        ],
        schema=RATES_SCHEMA,
    )


def curves_from_table(table: pa.Table, source: str, config: RatesConfig | None = None) -> TreasuryCurves:
    """The inverse of `read_rates_table`."""
    days = table["day"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    tenors = table["tenor_years"].to_numpy(zero_copy_only=False)
    yields = table["yield"].to_numpy(zero_copy_only=False)
    udays, di = np.unique(days, return_inverse=True)
    utenors, ti = np.unique(tenors, return_inverse=True)
    grid = np.full((udays.size, utenors.size), np.nan)
    grid[di, ti] = yields
    return TreasuryCurves(udays, utenors, grid, source, config or RatesConfig())
