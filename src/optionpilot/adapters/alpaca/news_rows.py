"""Alpaca news records (`/v1beta1/news`) and option contract records (`/v2/options/contracts`), read
defensively: a record that cannot be used is skipped and counted by reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from optionpilot.adapters.alpaca.bar_store import parse_time
from optionpilot.domain.market import NewsItem

SOURCE = "alpaca"


def read_news(raw: object, skipped: Counter[str]) -> Iterable[NewsItem]:
    items = raw.get("news") if isinstance(raw, Mapping) else None
    if not isinstance(items, list):
        skipped["news answer without a news list"] += 1
        return
    for doc in items:
        if not isinstance(doc, Mapping) or doc.get("id") in (None, ""):
            skipped["news record without an id"] += 1
            continue
        headline = " ".join(str(doc.get("headline") or "").split())
        if not headline:
            skipped["news record without a headline"] += 1
            continue
        try:
            ts = parse_time(doc.get("created_at"))
        except ValueError:
            skipped["news record with an unreadable time"] += 1
            continue
        symbols = doc.get("symbols") or []
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            skipped["news record with bad symbols"] += 1
            continue
        yield NewsItem(
            id=f"{SOURCE}:{doc['id']}",
            ts=ts,
            headline=headline,
            source=f"{SOURCE}:{doc.get('source') or 'unknown'}",
            tickers=tuple(dict.fromkeys(s.strip().upper() for s in symbols if s.strip())),
            body=" ".join(str(doc.get("summary") or "").split()),
        )


def read_open_interest(raw: object, skipped: Counter[str]) -> tuple[dict[str, int], str | None]:
    """OCC symbol -> open interest from one page of contracts, and the next page's token."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("option_contracts"), list):
        skipped["contracts answer without option_contracts"] += 1
        return {}, None
    out: dict[str, int] = {}
    for doc in raw["option_contracts"]:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("symbol"), str):
            skipped["contract record without a symbol"] += 1
            continue
        value = doc.get("open_interest")
        try:
            out[doc["symbol"]] = max(int(str(value)), 0) if value is not None else 0
        except ValueError:
            skipped["contract record with unreadable open interest"] += 1
            out[doc["symbol"]] = 0
    token = raw.get("next_page_token")
    return out, str(token) if token else None
