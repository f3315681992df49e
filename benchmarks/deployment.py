"""How much of the plan `execute` enters: scan -> allocate -> execute on the shared NSE and SPY chains
and on the simulator, printing planned, entered (sent / filled) capital, the ratio, and every candidate
left out with its rule and reason.

Run: .venv/bin/python benchmarks/deployment.py [--all-left-out]
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.deployment import Deployment, measure
from optionpilot.core.calendars import Market

DATA = Path(__file__).resolve().parents[1] / "../shared/data/options/eod"
SETS: list[tuple[str, Path | None, Market | None, Decimal]] = [
    ("NSE NIFTY/BANKNIFTY 2025-07", DATA / "nse_2025/nse_nifty_banknifty_option_chain_20250716_20250717.csv",
     None, Decimal(1_500_000)),
    ("SPY 2021", DATA / "spy_2021", None, Decimal(121_000)),
    ("simulator US", None, Market.US, Decimal(121_000)),
]  # fmt: skip


def show(name: str, d: Deployment, every: bool) -> None:
    entered = "sent" if not d.intraday else "filled"
    print(
        f"{name:<28} capital {d.capital:>12,.0f}  planned {d.planned:>12,.0f} in {len(d.plan.positions):2d}  "
        f"sent {d.sent:>12,.0f}  filled {d.filled:>12,.0f}  ratio {d.ratio:6.1%} ({entered} / planned)"
    )
    left = d.left_out()
    print(
        "    left out by rule: "
        + ", ".join(f"{r} {n}" for r, n in sorted(Counter(x.rule for x in left).items()))
    )
    for x in left:
        if every or x.rule != "allocation.per_underlying":
            print(f"    {x.stage:<8} {x.symbol:<10} {x.strategy:<20} {x.rule:<28} {x.reason}")


def main() -> None:
    every = "--all-left-out" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, data, market, capital) in enumerate(SETS):
            if data is not None and not data.exists():
                print(f"{name}: {data} is missing, skipped")
                continue
            db = f"sqlite:///{tmp}/deploy{i}.sqlite"
            cfg = OptionPilotConfig.model_validate({"run": {"db": db, "out": tmp}})
            show(name, measure(cfg, db, capital, data=data, market=market, work=Path(tmp)), every)


if __name__ == "__main__":
    main()
