"""Option chains per underlying, each refreshed at most every `refresh_s` of the clock.

One entry per underlying covers every expiry up to its window and every strike within its band (the band
around the spot, widened to the strikes the caller has asked quotes for), so `chain` with any window
inside it and `quote` of any contract inside it are answered without a request. Open interest comes from
the option contracts list, asked once a session per underlying. Each refresh records the session's ATM IV.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from alpaca.data.enums import OptionsFeed
from alpaca.data.requests import OptionChainRequest
from alpaca.trading.requests import GetOptionContractsRequest

from optionpilot.adapters.alpaca.chain_rows import ParsedChain, parse_chain
from optionpilot.adapters.alpaca.data_requests import DataRequests
from optionpilot.adapters.alpaca.iv_record import IvRecord, atm_iv
from optionpilot.adapters.alpaca.news_rows import read_open_interest
from optionpilot.core.calendars import TradingCalendar
from optionpilot.core.clock import Clock
from optionpilot.domain.instruments import Underlying

log = logging.getLogger(__name__)
EP_CHAIN = "alpaca data GET /v1beta1/options/snapshots"
EP_CONTRACTS = "alpaca trading GET /v2/options/contracts"
_MAX_CONTRACT_PAGES = 50


@dataclass(frozen=True, slots=True)
class ChainRules:
    refresh_s: float = 60.0
    max_dte: int = 60
    strike_band: float | None = 0.3  # share of the spot either side; None asks every strike
    feed: OptionsFeed | None = None  # opra or indicative; None lets Alpaca pick by subscription
    # How far a quote may be stamped after our clock and still be the present, not the future: the clock
    # is kept locally between reads of the broker's, so it trails the broker by about a request's time.
    clock_skew_s: float = 2.0


@dataclass(frozen=True, slots=True)
class ChainEntry:
    parsed: ParsedChain
    fetched_at: datetime
    last_expiry: date
    band: tuple[float, float] | None


class ChainCache:
    def __init__(
        self,
        *,
        options: Any,
        trading: Any,
        requests: DataRequests,
        clock: Clock,
        calendar: TradingCalendar,
        underlyings: Mapping[str, Underlying],
        spot: Callable[[str], float],
        iv_record: IvRecord,
        skipped: Counter[str],
        rules: ChainRules,
    ) -> None:
        self._options = options
        self._trading = trading
        self._requests = requests
        self._clock = clock
        self._cal = calendar
        self._underlyings = underlyings
        self._spot = spot
        self._iv = iv_record
        self._skipped = skipped
        self._rules = rules
        self._entries: dict[str, ChainEntry] = {}
        self._strikes: dict[str, tuple[float, float]] = {}  # strikes asked for, which the band must cover
        self._open_interest: dict[str, tuple[date, date, dict[str, int]]] = {}

    def clients(self) -> tuple[Any, Any]:
        return self._options, self._trading

    def entry(self, symbol: str, last_expiry: date, strike: float | None = None) -> ChainEntry:
        """The cached chain of `symbol` if fresh and wide enough for `last_expiry` and `strike`, else anew."""
        now = self._clock.now()
        today = self._cal.local_date(now)
        if strike is not None:
            lo, hi = self._strikes.get(symbol, (strike, strike))
            self._strikes[symbol] = (min(lo, strike), max(hi, strike))
        entry = self._entries.get(symbol)
        same_day = entry is not None and self._cal.local_date(entry.fetched_at) == today
        if entry is not None and same_day:
            fresh = (now - entry.fetched_at).total_seconds() < self._rules.refresh_s
            wide = last_expiry <= entry.last_expiry and (
                strike is None or entry.band is None or entry.band[0] <= strike <= entry.band[1]
            )
            if fresh and wide:
                return entry
        window = max(last_expiry, today + timedelta(days=self._rules.max_dte))
        if entry is not None and same_day:
            window = max(window, entry.last_expiry)
        entry = self._fetch(symbol, today, window)
        self._entries[symbol] = entry
        self._iv.record(symbol, today, atm_iv(entry.parsed.snapshot, entry.parsed.iv, today))
        return entry

    def _fetch(self, symbol: str, today: date, window: date) -> ChainEntry:
        spot = self._spot(symbol)
        band: tuple[float, float] | None = None
        if self._rules.strike_band is not None:
            share = self._rules.strike_band
            asked = self._strikes.get(symbol, (spot, spot))
            band = (round(min(spot * (1 - share), asked[0]), 2), round(max(spot * (1 + share), asked[1]), 2))
        request = OptionChainRequest(
            underlying_symbol=symbol,
            feed=self._rules.feed,
            expiration_date_gte=today,
            expiration_date_lte=window,
            strike_price_gte=None if band is None else band[0],
            strike_price_lte=None if band is None else band[1],
        )
        raw = self._requests.call(EP_CHAIN, lambda: self._options.get_option_chain(request))
        now = self._clock.now()
        latest = now + timedelta(seconds=self._rules.clock_skew_s)
        interest = self._contracts(symbol, today, window)
        parsed = parse_chain(
            self._underlyings[symbol], raw, now=now, spot=spot, open_interest=interest, latest=latest
        )
        if parsed.skipped:
            self._skipped.update({f"chain: {k}": v for k, v in parsed.skipped.items()})
            counts = ", ".join(f"{k}: {v}" for k, v in parsed.skipped.most_common())
            first = f"; first malformed: {parsed.first_problem}" if parsed.first_problem else ""
            # Unquoted rows are routine in a real chain; a malformed one is worth a warning.
            level = logging.WARNING if parsed.first_problem else logging.INFO
            total = parsed.skipped.total()
            log.log(level, "alpaca chain %s: skipped %d rows (%s)%s", symbol, total, counts, first)
        return ChainEntry(parsed, now, window, band)

    def _contracts(self, symbol: str, today: date, window: date) -> Mapping[str, int]:
        """Open interest of the symbol's contracts, asked once a session (it changes overnight)."""
        held = self._open_interest.get(symbol)
        if held is not None and held[0] == today and held[1] >= window:
            return held[2]
        found: dict[str, int] = {}
        token: str | None = None
        for _ in range(_MAX_CONTRACT_PAGES):
            request = GetOptionContractsRequest(
                underlying_symbols=[symbol],
                expiration_date_gte=today,
                expiration_date_lte=window,
                limit=10_000,
                page_token=token,
            )
            raw = self._requests.call(EP_CONTRACTS, self._contracts_call(request))
            page, token = read_open_interest(raw, self._skipped)
            found.update(page)
            if token is None:
                break
        else:
            self._skipped["contracts: more pages than read"] += 1
        self._open_interest[symbol] = (today, window, found)
        return found

    def _contracts_call(self, request: GetOptionContractsRequest) -> Callable[[], object]:
        return lambda: self._trading.get_option_contracts(request)
