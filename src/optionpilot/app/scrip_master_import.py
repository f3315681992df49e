"""`data import --format dhan-scrip-master`: Dhan's scrip master CSV into the instruments table."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from optionpilot.adapters.dhan.scrip_master import ScripMaster, read_scrip_master
from optionpilot.persistence.database import create_engine
from optionpilot.persistence.instrument_store import StoreCounts, store_instruments

BROKER = "dhan"


@dataclass(frozen=True, slots=True)
class ScripImport:
    source: str
    master: ScripMaster
    counts: StoreCounts


def import_scrip_master(path: Path, db: str) -> ScripImport:
    """Parse the whole file first, so a file with bad columns leaves the table untouched."""
    master = read_scrip_master(path)
    engine = create_engine(db)
    try:
        counts = store_instruments(engine, BROKER, [asdict(r) for r in master.rows])
    finally:
        engine.dispose()
    return ScripImport(str(path), master, counts)
