"""A backtest's period: `--start`/`--end` dates turned into exchange sessions (simulator or store).

The simulator can generate any session its exchange calendar knows; a store only the sessions it holds. A
range that selects no session is a one-line error naming what is available.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from optionpilot.app.config import OptionPilotConfig
from optionpilot.core.calendars import MARKETS, Session, calendar_for
from optionpilot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Period:
    """Dates as the user gave them; either end may be open. `days` caps the count of sessions."""

    start: date | None = None
    end: date | None = None
    days: int | None = None

    @property
    def given(self) -> bool:
        return self.start is not None or self.end is not None

    def text(self) -> str:
        a = self.start.isoformat() if self.start else "..."
        b = self.end.isoformat() if self.end else "..."
        return f"{a}..{b}"


def parse_day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{flag} {text!r}: not a date; write it as YYYY-MM-DD, e.g. 2026-01-05") from None


def check(period: Period) -> None:
    if period.start is not None and period.end is not None and period.start > period.end:
        raise ConfigError(f"--start {period.start} is after --end {period.end}")
    if period.start is not None and period.end is not None and period.days is not None:
        raise ConfigError("--days with both --start and --end: give two of the three")


def _pick(sessions: list[Session], period: Period) -> list[Session]:
    """Sessions in the period; with `days`, the first `days` from --start, else the last `days` to --end."""
    chosen = [
        s
        for s in sessions
        if (period.start is None or s.day >= period.start) and (period.end is None or s.day <= period.end)
    ]
    if period.days is not None:
        chosen = chosen[: period.days] if period.start is not None else chosen[-period.days :]
    return chosen


def simulator_period(config: OptionPilotConfig, period: Period) -> OptionPilotConfig:
    """`config` with `market.end` and `market.sessions` set to the exchange sessions of `period`."""
    check(period)
    m = config.market
    if not period.given:
        if period.days is None or period.days == m.sessions:
            return config
        market = type(m).model_validate({**m.model_dump(), "sessions": period.days})
        return config.model_copy(update={"market": market})
    cal = calendar_for(m.market)
    code = MARKETS[m.market].calendar_code
    first, last = cal.first_day, cal.last_day
    if (period.end is not None and period.end < first) or (period.start is not None and period.start > last):
        raise ConfigError(
            f"period {period.text()}: the simulator's {code} calendar has sessions from {first} to {last}"
        )
    if period.start is not None:
        # Enough calendar after the start for `days` sessions (a session every ~1.45 days, with room).
        days = period.days if period.days is not None else m.sessions
        end = period.end or min(last, date.fromordinal(period.start.toordinal() + days * 2 + 10))
        sessions = _pick(cal.sessions(max(period.start, first), min(end, last)), period)
    else:
        assert period.end is not None
        count = period.days if period.days is not None else m.sessions
        sessions = cal.sessions_ending(min(period.end, last), count)
    if not sessions:
        raise ConfigError(f"period {period.text()}: no {code} trading session in it")
    market = type(m).model_validate({**m.model_dump(), "end": sessions[-1].day, "sessions": len(sessions)})
    return config.model_copy(update={"market": market})


def session_picker(period: Period) -> Callable[[list[Session]], list[Session]] | None:
    """For a replayed store: the sessions of `period` among those it holds (None: all of them)."""
    check(period)
    if not period.given and period.days is None:
        return None
    if not period.given:
        days = period.days or 0
        return lambda sessions: sessions[-days:]
    return lambda sessions: _pick(sessions, period)
