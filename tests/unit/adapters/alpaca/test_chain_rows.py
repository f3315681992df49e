"""Snapshot rows that cannot be trusted are skipped and counted, never priced."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from optionpilot.adapters.alpaca.chain_rows import QuoteSkip, parse_chain
from optionpilot.domain.instruments import Underlying

NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
SPY = Underlying("SPY")


def _doc(
    bp: Any = 1.0, ap: Any = 1.2, t: Any = "2025-03-04T14:59:30.123456789Z", **extra: Any
) -> dict[str, Any]:
    quote = {"bp": bp, "ap": ap, "bs": 5, "as": 7, "t": t, "bx": "C", "ax": "C", "c": "A"}
    return {"latestQuote": quote, "impliedVolatility": 0.2, "greeks": {"delta": 0.5}, **extra}


def test_good_rows_are_kept_and_ordered_with_alpacas_numbers() -> None:
    raw = {
        "SPY250321P00500000": _doc(2.0, 2.1),
        "SPY250321C00510000": _doc(1.0, 1.1, dailyBar={"v": 42}),
        "SPY250314C00500000": _doc(0, 0.05),  # no bid, an ask: a deep OTM quote, kept
    }
    parsed = parse_chain(SPY, raw, now=NOW, spot=505.0, open_interest={"SPY250321C00510000": 900})
    snap = parsed.snapshot
    assert not parsed.skipped and len(snap) == 3
    assert [str(d) for d in snap.expiry] == ["2025-03-14", "2025-03-21", "2025-03-21"]
    assert snap.is_call.tolist() == [True, True, False]
    assert snap.strike.tolist() == [500.0, 510.0, 500.0]
    assert snap.bid.tolist() == [0.0, 1.0, 2.0]
    assert snap.volume.tolist() == [0, 42, 0] and snap.open_interest.tolist() == [0, 900, 0]
    q = snap.quote(1)
    assert (str(q.bid), str(q.ask), q.bid_size, q.ask_size) == ("1.00", "1.10", 5, 7)
    assert q.ts == datetime(2025, 3, 4, 14, 59, 30, tzinfo=UTC)
    assert parsed.iv.tolist() == [0.2, 0.2, 0.2] and parsed.greeks["delta"][0] == 0.5
    assert math.isnan(parsed.greeks["gamma"][0])
    assert snap.contract(1).key == "SPY250321C00510000"


def test_untrustworthy_rows_are_skipped_and_counted_by_reason() -> None:
    raw = {
        "SPY250321C00500000": _doc(1.3, 1.2),  # crossed
        "SPY250321C00505000": _doc(0, 0),  # no ask
        "SPY250321C00510000": {"greeks": {}},  # no quote
        "SPY250321C00515000": _doc(t="2025-03-04T15:00:01Z"),  # after the clock
        "SPYW250321C00515000": _doc(),  # another root
        "SPY250321C00520000": _doc(bp="1.0"),  # malformed: a string
        "SPY250321C00525000": _doc(ap=-1),  # malformed: negative
        "SPY250321C00530000": _doc(t="yesterday"),  # malformed: time
        "NOT-A-SYMBOL": _doc(),
        "SPY250321C00535000": "nonsense",
        "SPY250321C00540000": _doc(),  # the only good one
    }
    parsed = parse_chain(SPY, raw, now=NOW, spot=520.0, open_interest={})
    assert len(parsed.snapshot) == 1 and parsed.snapshot.strike.tolist() == [540.0]
    s = parsed.skipped
    assert s[QuoteSkip.CROSSED] == 1 and s[QuoteSkip.NO_ASK] == 1 and s[QuoteSkip.NO_QUOTE] == 1
    assert s[QuoteSkip.AFTER_CLOCK] == 1 and s[QuoteSkip.OTHER_ROOT] == 1
    malformed = {k: v for k, v in s.items() if k.startswith("malformed")}
    assert sum(malformed.values()) == 5
    assert parsed.first_problem is not None and "\n" not in parsed.first_problem
    assert parsed.first_problem.startswith("SPY250321C00520000: bid is not a number")


def test_an_answer_that_is_not_an_object_is_an_empty_chain() -> None:
    parsed = parse_chain(SPY, ["x"], now=NOW, spot=500.0, open_interest={})
    assert len(parsed.snapshot) == 0 and parsed.snapshot.expiry.dtype == np.dtype("datetime64[D]")
    assert parsed.skipped["snapshots answer not an object"] == 1
    assert parsed.snapshot.expiries() == [] and date(2025, 3, 4)
