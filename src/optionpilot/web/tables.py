"""Sortable, filterable tables on the server: the query string says the sort and the filter, so every view
of a table is a URL to bookmark, and no script is needed to sort."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    sort: str
    descending: bool
    query: dict[str, str]  # the page's other parameters, kept in every sort link
    total: int = 0  # rows before paging
    page: int = 1
    pages: int = 1

    def page_link(self, page: int) -> str:
        return "?" + urlencode(
            {**self.query, "sort": self.sort, "desc": "1" if self.descending else "0", "page": str(page)}
        )

    def sort_link(self, key: str) -> str:
        desc = "0" if key == self.sort and self.descending else "1"
        return "?" + urlencode({**self.query, "sort": key, "desc": desc})

    def arrow(self, key: str) -> str:
        if key != self.sort:
            return ""
        return " ▼" if self.descending else " ▲"


def _key(value: Any) -> tuple[int, Any]:
    """None last; numbers, dates and text each compare among themselves."""
    if value is None:
        return (3, "")
    if isinstance(value, (int, float, Decimal)):
        return (0, float(value))
    if isinstance(value, datetime):
        return (1, value.timestamp())
    return (2, str(value).lower())


def build(
    columns: Sequence[Column],
    rows: list[dict[str, Any]],
    params: Mapping[str, str],
    default_sort: str,
    *,
    sort_here: bool = True,
    page_size: int | None = None,
) -> Table:
    """`q` filters rows whose cells contain the text; `sort`/`desc` order them (unless SQL did)."""
    keys = {c.key for c in columns}
    sort = params.get("sort", default_sort)
    sort = sort if sort in keys else default_sort
    descending = params.get("desc", "1") == "1"
    text = params.get("q", "").strip().lower()
    if text:
        rows = [r for r in rows if any(text in str(r.get(c.key, "")).lower() for c in columns)]
    if sort_here:
        rows = sorted(rows, key=lambda r: _key(r.get(sort)), reverse=descending)
        if descending:  # keep None last in both directions
            rows = [r for r in rows if r.get(sort) is not None] + [r for r in rows if r.get(sort) is None]
    query = {k: v for k, v in params.items() if k not in ("sort", "desc", "page") and v}
    total = len(rows)
    if page_size is None:
        return Table(tuple(columns), rows, sort, descending, query, total)
    # A page a browser renders quickly; the rest is a click (or the API) away.
    pages = max((total + page_size - 1) // page_size, 1)
    page = min(max(int(params["page"]) if params.get("page", "").isdigit() else 1, 1), pages)
    rows = rows[(page - 1) * page_size : page * page_size]
    return Table(tuple(columns), rows, sort, descending, query, total, page, pages)
