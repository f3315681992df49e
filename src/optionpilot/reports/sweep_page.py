"""A sweep's HTML page: the ranked table and, for two parameters, a heat map of the objective.

Plain data in (rows of parameters, run id, score), one self-contained page out; no script, no network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from optionpilot.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class SweepRow:
    rank: int | None
    params: dict[str, str]
    run_id: str
    score: float | None
    figures: dict[str, str]  # formatted headline figures of the scored account
    note: str = ""  # failed: the reason; beyond the drawdown cap


def _colour(x: float | None, lo: float, hi: float, lower_better: bool) -> str:
    """Red (worst) to green (best) through pale yellow; grey for no value."""
    if x is None or math.isnan(x):
        return "#e5e5e5"
    t = 0.5 if hi <= lo else (x - lo) / (hi - lo)
    t = 1.0 - t if lower_better else t
    r, g = (230, int(120 + 110 * t * 2)) if t < 0.5 else (int(230 - 150 * (t - 0.5) * 2), 230)
    return f"rgb({r},{min(g, 230)},130)"


def heat_map(rows: Sequence[SweepRow], x_key: str, y_key: str, objective: str) -> str:
    xs = list(dict.fromkeys(r.params[x_key] for r in rows))
    ys = list(dict.fromkeys(r.params[y_key] for r in rows))
    cell = {(r.params[x_key], r.params[y_key]): r for r in rows}
    values = [r.score for r in rows if r.score is not None and not math.isnan(r.score)]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    lower = objective == "max_drawdown"
    head = "".join(f"<th>{escape(x)}</th>" for x in xs)
    body = []
    for y in ys:
        tds = []
        for x in xs:
            r = cell.get((x, y))
            score = None if r is None else r.score
            text = "-" if score is None else f"{score:.3g}"
            title = "" if r is None else f"{r.run_id} {r.note}".strip()
            tds.append(
                f'<td style="background:{_colour(score, lo, hi, lower)}" title="{escape(title)}">{text}</td>'
            )
        body.append(f"<tr><th>{escape(y)}</th>{''.join(tds)}</tr>")
    return (
        f'<table class="heat"><caption>{escape(objective)} by {escape(x_key)} (across) and {escape(y_key)} '
        f"(down)</caption><tr><th></th>{head}</tr>{''.join(body)}</table>"
    )


def render_sweep(sweep_id: str, objective: str, rows: Sequence[SweepRow], title: str = "Sweep") -> str:
    keys = list(rows[0].params) if rows else []
    fig_keys = list(rows[0].figures) if rows else []
    heat = heat_map(rows, keys[0], keys[1], objective) if len(keys) == 2 else ""
    header = "".join(f"<th>{escape(k)}</th>" for k in ["rank", *keys, objective, *fig_keys, "run", "note"])
    lines = []
    for r in rows:
        cells = [
            "-" if r.rank is None else str(r.rank),
            *(r.params[k] for k in keys),
            "-" if r.score is None else f"{r.score:.4g}",
            *(r.figures.get(k, "-") for k in fig_keys),
            r.run_id,
            r.note,
        ]
        lines.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{escape(title)} {escape(sweep_id)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}caption{{font-weight:bold;text-align:left}}
table.heat td{{min-width:4em;text-align:center}}</style></head>
<body><h1>{escape(title)} {escape(sweep_id)}</h1><p>ranked by {escape(objective)}</p>
{heat}
<table><caption>parameter sets, best first</caption><tr>{header}</tr>{"".join(lines)}</table>
</body></html>
"""


def write_sweep_page(
    sweep_id: str, objective: str, rows: Sequence[SweepRow], out_dir: Path, title: str = "Sweep"
) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{sweep_id}.html"
        path.write_text(render_sweep(sweep_id, objective, rows, title), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"sweep page in {out_dir} cannot be written: {exc.strerror}") from exc
    return path
