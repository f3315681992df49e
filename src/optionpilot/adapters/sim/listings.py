"""Listed expiries and strike grids, as the exchanges list them."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from optionpilot.adapters.sim.market_config import ListingStyle, MonthlyRule, StrikeBand, UnderlyingProfile
from optionpilot.core.calendars import TradingCalendar
from optionpilot.domain.instruments import OptionContract


def is_session(calendar: TradingCalendar, day: date) -> bool:
    """A session by the calendar; past its maintained range, any weekday (holidays unknown there)."""
    try:
        return calendar.is_session(day)
    except Exception:  # exchange_calendars raises its own out-of-bounds errors
        return day.weekday() < 5


def roll_back(calendar: TradingCalendar, day: date) -> date:
    """The expiry moved to the previous session when `day` is a holiday."""
    while not is_session(calendar, day):
        day -= timedelta(days=1)
    return day


def _nth_weekday(year: int, month: int, weekday: int, rule: MonthlyRule) -> date:
    if rule is MonthlyRule.THIRD:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 14)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def monthly_expiries(profile: UnderlyingProfile, calendar: TradingCalendar, day: date) -> list[date]:
    out: list[date] = []
    year, month = day.year, day.month
    while len(out) < profile.monthly_count:
        exp = roll_back(calendar, _nth_weekday(year, month, profile.expiry_weekday, profile.monthly_rule))
        if exp >= day:
            out.append(exp)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def expiries(profile: UnderlyingProfile, calendar: TradingCalendar, day: date) -> tuple[date, ...]:
    """Expiries listed on `day` (on or after it), ascending."""
    found = set(monthly_expiries(profile, calendar, day))
    if profile.listing is ListingStyle.DAILY:
        for n in range(profile.daily_horizon_days + 1):
            d = day + timedelta(days=n)
            if is_session(calendar, d):
                found.add(d)
    if profile.listing in (ListingStyle.DAILY, ListingStyle.WEEKLY):
        first = day + timedelta(days=(profile.expiry_weekday - day.weekday()) % 7)
        # A holiday on the weekday can pull this week's expiry before `day`; it is then gone.
        for n in range(0, profile.weekly_horizon_days + 1, 7):
            exp = roll_back(calendar, first + timedelta(days=n))
            if exp >= day:
                found.add(exp)
    return tuple(sorted(found))


def _band_range(band: StrikeBand, reference: float) -> tuple[int, int]:
    step = float(band.step)
    lo = math.ceil(reference * (1.0 - band.within) / step)
    return max(lo, 1), math.floor(reference * (1.0 + band.within) / step)


def strike_grid(bands: tuple[StrikeBand, ...], reference: float) -> tuple[Decimal, ...]:
    """Strikes listed around `reference`: each band's multiples of its step within its distance."""
    found: set[Decimal] = set()
    for band in bands:
        lo, hi = _band_range(band, reference)
        found.update(band.step * i for i in range(lo, hi + 1))
    return tuple(sorted(found))


def is_listed_strike(bands: tuple[StrikeBand, ...], reference: float, strike: Decimal) -> bool:
    for band in bands:
        if strike % band.step != 0:
            continue
        lo, hi = _band_range(band, reference)
        if lo <= int(strike / band.step) <= hi:
            return True
    return False


class StrikeLadder:
    """One underlying's grid for one day: Decimals for contracts, floats for arrays."""

    __slots__ = ("decimals", "floats", "reference")

    def __init__(self, bands: tuple[StrikeBand, ...], reference: float) -> None:
        self.reference = reference
        self.decimals = strike_grid(bands, reference)
        self.floats = np.array([float(k) for k in self.decimals], dtype=np.float64)


class OptionListings:
    """What each underlying (by row) lists on a day: its expiries, its strike ladder, and whether a
    contract is among them. Each is worked out once a day."""

    def __init__(
        self,
        profiles: tuple[UnderlyingProfile, ...],
        calendar: TradingCalendar,
        previous_close: Callable[[int, date], float],
    ) -> None:
        self._profiles = profiles
        self._cal = calendar
        self._previous_close = previous_close
        self._expiries: dict[tuple[int, date], tuple[date, ...]] = {}
        self._ladders: dict[tuple[int, date], StrikeLadder] = {}
        self._listed: dict[tuple[OptionContract, date], bool] = {}

    def expiries(self, row: int, day: date) -> tuple[date, ...]:
        found = self._expiries.get((row, day))
        if found is None:
            found = expiries(self._profiles[row], self._cal, day)
            self._expiries[(row, day)] = found
        return found

    def ladder(self, row: int, day: date) -> StrikeLadder:
        ladder = self._ladders.get((row, day))
        if ladder is None:
            # Strikes are set per day around the previous close, as exchanges do.
            ladder = StrikeLadder(self._profiles[row].strike_bands, self._previous_close(row, day))
            self._ladders[(row, day)] = ladder
        return ladder

    def is_listed(self, row: int, day: date, contract: OptionContract) -> bool:
        found = self._listed.get((contract, day))
        if found is None:
            found = contract.expiry in self.expiries(row, day) and is_listed_strike(
                self._profiles[row].strike_bands, self.ladder(row, day).reference, contract.strike
            )
            self._listed[(contract, day)] = found
        return found
