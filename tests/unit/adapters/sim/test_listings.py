from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from optionpilot.adapters.sim.listings import expiries, is_listed_strike, strike_grid
from optionpilot.adapters.sim.market_config import (
    ListingStyle,
    UnderlyingProfile,
    default_us_profiles,
    nse_index_profiles,
)
from optionpilot.core.calendars import Market, calendar_for

US = calendar_for(Market.US)
IN = calendar_for(Market.IN)


def _profile(symbol: str) -> UnderlyingProfile:
    return {p.symbol: p for p in (*default_us_profiles(), *nse_index_profiles())}[symbol]


def test_spy_lists_every_session_in_the_daily_horizon() -> None:
    day = date(2026, 10, 5)  # a Monday
    exps = expiries(_profile("SPY"), US, day)
    assert exps[:5] == tuple(day + timedelta(days=n) for n in range(5))
    assert all(US.is_session(d) for d in exps if d < date(2027, 6, 1))
    assert date(2026, 10, 10) not in exps  # Saturday


def test_weekly_names_list_fridays_and_third_friday_monthlies() -> None:
    exps = expiries(_profile("AAPL"), US, date(2026, 10, 5))
    near = [d for d in exps if d <= date(2026, 12, 1)]
    assert all(d.weekday() == 4 for d in near)
    assert date(2026, 10, 9) in exps and date(2026, 10, 16) in exps
    # Monthlies go out beyond the weekly horizon: third Fridays only.
    far = [d for d in exps if d > date(2027, 1, 1)]
    # (Juneteenth 2027 is observed on Friday June 18, so that monthly moves to Thursday.)
    assert far and all(15 <= d.day <= 21 for d in far)
    assert all(d.weekday() == 4 or not US.is_session(d + timedelta(days=1)) for d in far)
    assert date(2027, 6, 17) in far


def test_good_friday_moves_the_expiry_to_thursday() -> None:
    exps = expiries(_profile("AAPL"), US, date(2026, 3, 30))
    assert date(2026, 4, 3) not in exps  # Good Friday 2026, NYSE closed
    assert date(2026, 4, 2) in exps


def test_monthly_style_lists_only_third_fridays() -> None:
    p = _profile("AAPL").model_copy(update={"listing": ListingStyle.MONTHLY, "monthly_count": 4})
    assert expiries(p, US, date(2026, 10, 5)) == (
        date(2026, 10, 16),
        date(2026, 11, 20),
        date(2026, 12, 18),
        date(2027, 1, 15),
    )


def test_an_expiry_today_is_still_listed() -> None:
    assert expiries(_profile("AAPL"), US, date(2026, 10, 16))[0] == date(2026, 10, 16)


def test_nse_weekly_tuesdays_and_last_tuesday_monthlies() -> None:
    nifty = expiries(_profile("NIFTY"), IN, date(2026, 10, 5))
    assert all(d.weekday() == 1 or not IN.is_session(d + timedelta(days=1)) for d in nifty)
    assert date(2026, 10, 6) in nifty and date(2026, 10, 13) in nifty
    bank = expiries(_profile("BANKNIFTY"), IN, date(2026, 10, 5))
    # Last Tuesdays; 24 Nov 2026 is an exchange holiday, so that expiry is the Monday before.
    assert bank == (date(2026, 10, 27), date(2026, 11, 23), date(2026, 12, 29))
    assert not IN.is_session(date(2026, 11, 24))


def test_strike_grid_bands() -> None:
    spy = _profile("SPY")
    grid = strike_grid(spy.strike_bands, 580.0)
    assert Decimal(575) in grid and Decimal(576) in grid
    assert Decimal(638) in grid and Decimal(639) not in grid and Decimal(640) in grid
    assert min(grid) == Decimal(350) and max(grid) == Decimal(810)
    near = [k for k in grid if Decimal(530) <= k <= Decimal(630)]
    assert len(near) == 101


def test_is_listed_strike_agrees_with_the_grid() -> None:
    for symbol, ref in (("SPY", 580.37), ("AAPL", 231.2), ("NIFTY", 25012.0), ("BANKNIFTY", 56010.0)):
        bands = _profile(symbol).strike_bands
        grid = set(strike_grid(bands, ref))
        candidates = {Decimal(n) / 2 for n in range(1, int(ref * 4))}
        assert {k for k in candidates if is_listed_strike(bands, ref, k)} == grid, symbol


def test_nse_strike_steps() -> None:
    grid = strike_grid(_profile("NIFTY").strike_bands, 25000.0)
    assert all(k % 50 == 0 for k in grid)
    bank = strike_grid(_profile("BANKNIFTY").strike_bands, 56000.0)
    assert all(k % 100 == 0 for k in bank)
