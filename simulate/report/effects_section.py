"""The comparison dashboard's "Effects by phase" section: each variant against the
reference, window by window (and unit or subgroup), on the key metrics, from effects.csv."""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

import pandas as pd

from simulate.accounts.catalogue import key_metrics
from simulate.formatting import number, percent, signed
from simulate.report.html import data_value

EFFECT_METRICS = key_metrics()
"""Metrics of the section (effects.csv holds all of them)."""
MAX_ROWS = 200
"""Rows beyond which the section points to effects.csv (e.g. physician level)."""


def effect_cell(record: Mapping) -> str:
    """``-1,234 [-1,500, -900] (-19%)``; bold (class ``sure``) when the CI excludes 0."""
    value, low, high = (float(record[k]) for k in ("difference", "ci_low", "ci_high"))
    if not math.isfinite(value):
        return "<td>–</td>"
    text = signed(value)
    if math.isfinite(low) and math.isfinite(high):
        text += f' <span class="ci">[{number(low)}, {number(high)}]</span>'
    relative = float(record["relative_pct"])
    if math.isfinite(relative):
        text += f' <span class="rel">({percent(relative / 100)})</span>'
    sure = math.isfinite(low) and (low > 0 or high < 0)
    return f'<td data-value="{data_value(value)}"{" class=sure" if sure else ""}>{text}</td>'


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def effects_section(effects: pd.DataFrame) -> str:
    """One row per variant x window (x unit x subgroup), one column per key metric."""
    if effects.empty or "window" not in effects:
        return ""
    table = effects[effects["metric"].isin(EFFECT_METRICS)]
    keys = ["variant", "window", "first_month", "last_month", "unit", "subgroup"]
    level = _text(effects["level"].iloc[0])
    by = _text(effects["by"].iloc[0])
    cut = f"{level} level" + (f", by {by}" if by else "")
    rows_of = table.groupby(keys, sort=False, dropna=False)
    if rows_of.ngroups > MAX_ROWS:
        return (
            '<section id="effects"><h2>Effects by phase</h2><p class="note">'
            f"{escape(cut)}: {rows_of.ngroups} rows, too many for this page; see "
            "effects.csv.</p></section>"
        )
    head = ["Scheme", "Window (months)", "Unit", "Subgroup", *EFFECT_METRICS]
    cells = "".join(
        f'<th scope="col"{" class=text" if k < 4 else ""}><button type="button">'
        f"{escape(h)}</button></th>"
        for k, h in enumerate(head)
    )
    rows = []
    for (variant, window, first, last, unit, subgroup), group in rows_of:
        by_metric = {r["metric"]: r for r in group.to_dict("records")}
        row = [
            f'<th scope="row" class="text">{escape(_text(variant))}</th>',
            f'<td class="text">{escape(f"{window} ({int(first)}-{int(last)})")}</td>',
            f'<td class="text">{escape(_text(unit))}</td>',
            f'<td class="text">{escape(_text(subgroup))}</td>',
        ]
        row += [
            effect_cell(by_metric[m]) if m in by_metric else "<td>–</td>" for m in EFFECT_METRICS
        ]
        rows.append(f"<tr>{''.join(row)}</tr>")
    reference = _text(table["reference"].iloc[0]) if len(table) else ""
    note = (
        f"Each scheme against {reference}, {cut}: mean of paired differences across "
        "replications (scheme − reference, per period or rate) with 95% CI and, in "
        "brackets, relative to the reference's mean (ratio of means, delta-method CI in "
        "effects.csv). Bold: the CI excludes zero. Windows count months from 1. Every "
        "metric: effects.csv."
    )
    return (
        '<section id="effects"><h2>Effects by phase</h2><div class="table-wrap">'
        f'<table id="effects-table" class="sortable"><thead><tr>{cells}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        f'<p class="note">{escape(note)}</p></section>'
    )
