# ruff: noqa: E501 - the CSV fixtures are Dhan's rows, kept whole so they read like the real files
"""`optionpilot data import --format dhan-scrip-master`: both of Dhan's layouts into the instruments table;
re-import changes nothing, a revised lot size updates, bad columns exit 2 naming them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from optionpilot.cli.main import app
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.instrument_store import lookup_instrument

# Dhan's documented columns (api-scrip-master.csv), three NSE options, an index, a share and bad rows.
COMPACT = """SEM_EXM_EXCH_ID,SEM_SEGMENT,SEM_SMST_SECURITY_ID,SEM_INSTRUMENT_NAME,SEM_EXPIRY_CODE,SEM_TRADING_SYMBOL,SEM_LOT_UNITS,SEM_CUSTOM_SYMBOL,SEM_EXPIRY_DATE,SEM_STRIKE_PRICE,SEM_OPTION_TYPE,SEM_TICK_SIZE,SEM_EXPIRY_FLAG,SEM_EXCH_INSTRUMENT_TYPE,SEM_SERIES,SM_SYMBOL_NAME
NSE,D,35001,OPTIDX,0,NIFTY-Dec2026-24000-CE,75.0,NIFTY 31 DEC 24000 CALL,2026-12-31 14:30:00,24000.00000,CE,5.0000,M,OP,NA,
NSE,D,35002,OPTIDX,0,NIFTY-Dec2026-24000-PE,75.0,NIFTY 31 DEC 24000 PUT,2026-12-31 14:30:00,24000.00000,PE,5.0000,M,OP,NA,
NSE,D,35003,OPTSTK,0,RELIANCE-Dec2026-1300-CE,500.0,RELIANCE 31 DEC 1300 CALL,2026-12-31 14:30:00,1300.00000,CE,5.0000,M,OP,NA,
NSE,I,13,INDEX,0,NIFTY,1.0,Nifty 50,0,0.00000,XX,0.0500,NA,INDEX,X,NIFTY 50
NSE,E,2885,EQUITY,0,RELIANCE,1.0,Reliance Industries,0,0.00000,XX,0.0500,NA,ES,EQ,RELIANCE INDUSTRIES LTD
NSE,D,35004,OPTIDX,0,NIFTY-Dec2026-24100-CE,75.0,bad strike,2026-12-31 14:30:00,abc,CE,5.0000,M,OP,NA,
NSE,D,35005,OPTIDX,0,NIFTY-Dec2026-24100-XX,75.0,no right,2026-12-31 14:30:00,24100,XX,5.0000,M,OP,NA,
NSE,D,35006,OPTIDX,0,NIFTY-Dec2026-24200-CE,0,zero lot,2026-12-31 14:30:00,24200,CE,5.0000,M,OP,NA,
"""

# Dhan's detailed layout (api-scrip-master-detailed.csv), with the underlying named.
DETAILED = """EXCH_ID,SEGMENT,SECURITY_ID,ISIN,INSTRUMENT,UNDERLYING_SECURITY_ID,UNDERLYING_SYMBOL,SYMBOL_NAME,DISPLAY_NAME,INSTRUMENT_TYPE,SERIES,LOT_SIZE,SM_EXPIRY_DATE,STRIKE_PRICE,OPTION_TYPE,TICK_SIZE,EXPIRY_FLAG,BRACKET_FLAG,COVER_FLAG,ASM_GSM_FLAG,ASM_GSM_CATEGORY,BUY_SELL_INDICATOR
NSE,D,45001,NA,OPTIDX,25,BANKNIFTY,BANKNIFTY-Dec2026-52000-CE,BANKNIFTY 30 DEC 52000 CALL,OP,NA,35,2026-12-30,52000.000,CE,0.05,M,N,N,N,NA,A
NSE,D,45002,NA,OPTIDX,25,BANKNIFTY,BANKNIFTY-Dec2026-52000-PE,BANKNIFTY 30 DEC 52000 PUT,OP,NA,35,2026-12-30,52000.000,PE,0.05,M,N,N,N,NA,A
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _run(db: str, *files: Path) -> tuple[int, str]:
    args = ["data", "import", "--format", "dhan-scrip-master", "--db", db, *map(str, files)]
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _count(db: str) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM instruments")).scalar_one())
    finally:
        engine.dispose()


def test_compact_layout_stores_options_index_and_share_and_counts_bad_rows(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'op.sqlite'}"
    code, out = _run(db, _write(tmp_path, "api-scrip-master.csv", COMPACT))
    assert code == 0, out
    assert _count(db) == 5
    assert "1 bad strike" in out and "1 option without CE/PE" in out and "1 bad lot size" in out
    engine = create_engine(db)
    try:
        call = lookup_instrument(engine, "dhan", 35001)
        index = lookup_instrument(engine, "dhan", 13)
    finally:
        engine.dispose()
    assert call is not None and index is not None
    assert call["underlying"] == "NIFTY" and call["option_type"] == "CE"
    assert call["strike"] == Decimal("24000.00000") and call["lot_size"] == 75
    assert str(call["expiry"]) == "2026-12-31" and call["tick_size"] == Decimal("5.0000")
    assert index["option_type"] is None and index["strike"] is None and index["expiry"] is None


def test_detailed_layout_reimport_changes_nothing_and_a_revised_lot_updates(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'op.sqlite'}"
    f = _write(tmp_path, "api-scrip-master-detailed.csv", DETAILED)
    assert _run(db, f)[0] == 0
    code, out = _run(db, f)
    assert code == 0 and _count(db) == 2
    assert "detailed" in out
    revised = _write(
        tmp_path,
        "revised.csv",
        DETAILED.replace(",35,2026-12-30,52000.000,CE", ",30,2026-12-30,52000.000,CE"),
    )
    assert _run(db, revised)[0] == 0
    engine = create_engine(db)
    try:
        row = lookup_instrument(engine, "dhan", 45001)
        other = lookup_instrument(engine, "dhan", 45002)
    finally:
        engine.dispose()
    assert row is not None and row["lot_size"] == 30 and row["underlying"] == "BANKNIFTY"
    assert other is not None and other["lot_size"] == 35


def test_missing_columns_exit_2_naming_them_and_store_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'op.sqlite'}"
    header, *rest = COMPACT.splitlines()
    cols = header.split(",")
    drop = {cols.index("SEM_LOT_UNITS"), cols.index("SEM_TICK_SIZE")}
    kept = "\n".join(
        ",".join(c for i, c in enumerate(ln.split(",")) if i not in drop) for ln in [header, *rest]
    )
    code, out = _run(db, _write(tmp_path, "cut.csv", kept + "\n"))
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error:"), out
    assert "SEM_LOT_UNITS" in out and "SEM_TICK_SIZE" in out and "cut.csv" in out
    assert "Traceback" not in out


def test_not_a_scrip_master_empty_or_absent_file_is_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'op.sqlite'}"
    for name, text in (("other.csv", "a,b,c\n1,2,3\n"), ("empty.csv", "")):
        code, out = _run(db, _write(tmp_path, name, text))
        assert code == 2 and len([ln for ln in out.splitlines() if ln.strip()]) == 1, out
        assert name in out
    code, out = _run(db, tmp_path / "nope.csv")
    assert code == 2 and "nope.csv" in out and "Traceback" not in out


def test_the_imported_master_maps_contracts_to_security_ids(tmp_path: Path) -> None:
    from datetime import date

    from optionpilot.adapters.dhan.security_master import SecurityMaster
    from optionpilot.core.calendars import Market
    from optionpilot.domain.instruments import OptionContract, OptionRight
    from optionpilot.persistence.instrument_store import load_instruments

    db = f"sqlite:///{tmp_path / 'op.sqlite'}"
    assert _run(db, _write(tmp_path, "api-scrip-master.csv", COMPACT))[0] == 0
    engine = create_engine(db)
    try:
        master = SecurityMaster.from_rows(load_instruments(engine, "dhan"), {"NIFTY": 1800})
    finally:
        engine.dispose()
    put = OptionContract("NIFTY", date(2026, 12, 31), Decimal(24000), OptionRight.PUT, Market.IN, 75)
    listing = master.listing(put)
    assert listing.security_id == 35002 and listing.lot_size == 75 and master.freeze_quantity(listing) == 1800
    assert len(master) == 3  # the options only
