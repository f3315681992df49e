"""Dhan's scrip master: the compact (`api-scrip-master.csv`) and detailed (`api-scrip-master-detailed.csv`)
CSVs read into instrument rows keyed by Dhan's security id.

The two files name the same facts differently (compact: `SEM_SMST_SECURITY_ID`, detailed: `SECURITY_ID`),
so each layout is a column map onto one row type. A file missing a required column is refused whole,
naming every missing column; a bad row is skipped and counted with its reason, never guessed.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from optionpilot.core.errors import DataError


@dataclass(frozen=True, slots=True)
class InstrumentRow:
    security_id: int
    exchange: str  # NSE, BSE, MCX
    segment: str  # Dhan's one-letter segment: E equity, D derivatives, I index, C currency, M commodity
    instrument: str  # OPTIDX, OPTSTK, FUTIDX, EQUITY, INDEX, ...
    trading_symbol: str
    underlying: str | None
    expiry: date | None
    strike: Decimal | None
    option_type: str | None  # CE / PE for options, else None
    lot_size: int
    tick_size: Decimal
    freeze_quantity: int | None


# field -> column name in each layout; None: that layout does not carry it.
_COMPACT = {
    "exchange": "SEM_EXM_EXCH_ID",
    "segment": "SEM_SEGMENT",
    "security_id": "SEM_SMST_SECURITY_ID",
    "instrument": "SEM_INSTRUMENT_NAME",
    "trading_symbol": "SEM_TRADING_SYMBOL",
    "lot_size": "SEM_LOT_UNITS",
    "expiry": "SEM_EXPIRY_DATE",
    "strike": "SEM_STRIKE_PRICE",
    "option_type": "SEM_OPTION_TYPE",
    "tick_size": "SEM_TICK_SIZE",
}
_DETAILED = {
    "exchange": "EXCH_ID",
    "segment": "SEGMENT",
    "security_id": "SECURITY_ID",
    "instrument": "INSTRUMENT",
    "trading_symbol": "SYMBOL_NAME",
    "underlying": "UNDERLYING_SYMBOL",
    "lot_size": "LOT_SIZE",
    "expiry": "SM_EXPIRY_DATE",
    "strike": "STRIKE_PRICE",
    "option_type": "OPTION_TYPE",
    "tick_size": "TICK_SIZE",
}
# Optional in either layout: present in some exports, and a freeze limit is worth keeping when given.
_OPTIONAL = {"underlying": ("UNDERLYING_SYMBOL",), "freeze_quantity": ("FREEZE_QTY", "SEM_FREEZE_QTY")}
_OPTIONS = frozenset({"OPTIDX", "OPTSTK", "OPTFUT", "OPTCUR"})
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


@dataclass(slots=True)
class ScripMaster:
    layout: str  # "compact" or "detailed"
    rows: list[InstrumentRow] = field(default_factory=list)
    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class _BadRow(ValueError):
    pass


def read_scrip_master(path: Path) -> ScripMaster:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            return parse_scrip_master(csv.reader(fh), source=str(path))
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", source=str(path)) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"not a CSV file ({type(exc).__name__})", source=str(path)) from None


def parse_scrip_master(lines: Iterable[list[str]], *, source: str) -> ScripMaster:
    it: Iterator[list[str]] = iter(lines)
    header = [h.strip() for h in next(it, [])]
    if not header or header == [""]:
        raise DataError("empty file: no header row", source=source)
    layout, columns = _layout(header, source)
    index = {name: i for i, name in enumerate(header)}
    pos = {f: index[c] for f, c in columns.items()}
    for f, names in _OPTIONAL.items():
        found = next((index[n] for n in names if n in index), None)
        if f not in pos and found is not None:
            pos[f] = found
    out = ScripMaster(layout)
    for raw in it:
        if not raw or all(not c.strip() for c in raw):
            continue
        out.read += 1
        try:
            out.rows.append(_row(raw, pos))
        except _BadRow as why:
            out.skipped[str(why)] += 1
    return out


def _layout(header: list[str], source: str) -> tuple[str, dict[str, str]]:
    have = set(header)
    compact_hits = sum(c in have for c in _COMPACT.values())
    detailed_hits = sum(c in have for c in _DETAILED.values())
    layout, columns = ("compact", _COMPACT) if compact_hits >= detailed_hits else ("detailed", _DETAILED)
    missing = [c for c in columns.values() if c not in have]
    if missing:
        raise DataError(
            f"not a Dhan {layout} scrip master: missing column(s) {', '.join(missing)}", source=source
        )
    return layout, columns


def _cell(raw: list[str], pos: dict[str, int], f: str) -> str:
    i = pos.get(f)
    if i is None or i >= len(raw):
        return ""
    return raw[i].strip()


def _row(raw: list[str], pos: dict[str, int]) -> InstrumentRow:
    instrument = _cell(raw, pos, "instrument").upper()
    option_type = _cell(raw, pos, "option_type").upper()
    is_option = instrument in _OPTIONS
    if is_option and option_type not in ("CE", "PE"):
        raise _BadRow("option without CE/PE")
    strike = _decimal(_cell(raw, pos, "strike"), "strike") if is_option else None
    if strike is not None and strike <= 0:
        raise _BadRow("bad strike")
    expiry = _date(_cell(raw, pos, "expiry"))
    if is_option and expiry is None:
        raise _BadRow("option without expiry")
    lot = _decimal(_cell(raw, pos, "lot_size"), "lot size")
    tick = _decimal(_cell(raw, pos, "tick_size"), "tick size")
    if lot <= 0 or lot != lot.to_integral_value():
        raise _BadRow("bad lot size")
    if tick <= 0:
        raise _BadRow("bad tick size")
    freeze_text = _cell(raw, pos, "freeze_quantity")
    freeze = int(_decimal(freeze_text, "freeze quantity")) if freeze_text else None
    symbol = _cell(raw, pos, "trading_symbol")
    if not symbol:
        raise _BadRow("no trading symbol")
    underlying = _cell(raw, pos, "underlying") or (symbol.split("-")[0] if is_option else None)
    return InstrumentRow(
        security_id=_int(_cell(raw, pos, "security_id")),
        exchange=_cell(raw, pos, "exchange").upper(),
        segment=_cell(raw, pos, "segment").upper(),
        instrument=instrument,
        trading_symbol=symbol,
        underlying=underlying,
        expiry=expiry,
        strike=strike,
        option_type=option_type if is_option else None,
        lot_size=int(lot),
        tick_size=tick,
        freeze_quantity=freeze,
    )


def _int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _BadRow("bad security id") from None
    if value <= 0:
        raise _BadRow("bad security id")
    return value


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _BadRow(f"bad {what}") from None
    if not value.is_finite():
        raise _BadRow(f"bad {what}")
    return value


def _date(text: str) -> date | None:
    # Dhan writes "0" or "-1" or nothing where an instrument has no expiry.
    if text in ("", "0", "-1", "NA"):
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no clock read
        except ValueError:
            continue
    raise _BadRow("bad expiry date")
