"""The comparison dashboard, decision first: which scheme, by how much, and how sure.

The page opens with the decision table (one row per scheme: the verdict in words,
incremental cost and QALYs with 95% CIs, the ICER, and at each threshold the incremental
net monetary benefit with its CI, the probability of being cost-effective against the
reference and of being the best of all), then the cost-effectiveness plane, the
acceptability curves with their frontier, the trajectories, and the full table folded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

from simulate.compare.discounting import discount_note
from simulate.compare.economics import threshold_label
from simulate.formatting import number, percent, signed
from simulate.report.data import ComparisonData
from simulate.report.effects_section import effects_section
from simulate.report.html import FigureRef, data_value, figures_section, page, warnings_block
from simulate.units import period_span

STATUS_WORDS = {
    "dominant": "dominant",
    "dominated": "dominated",
    "no_difference": "no difference",
    "undefined": "undefined",
    "reference": "",
}


def interval_cell(record: Mapping, key: str, relative: str | None = None) -> str:
    """``+12 [3, 21]`` (and ``-19%``) as a table cell; bold when the CI excludes 0."""
    value, low, high = record[key], record[f"{key}_ci_low"], record[f"{key}_ci_high"]
    if not math.isfinite(value):
        return "<td>–</td>"
    text = signed(value)
    if math.isfinite(low) and math.isfinite(high):
        text += f' <span class="ci">[{number(low)}, {number(high)}]</span>'
    if relative is not None and math.isfinite(record[relative]):
        text += f' <span class="rel">({percent(record[relative])})</span>'
    sure = math.isfinite(low) and (low > 0 or high < 0)
    return f'<td data-value="{data_value(value)}"{" class=sure" if sure else ""}>{text}</td>'


def icer_cell(record: Mapping) -> str:
    """The ICER in words where a ratio means something, else the quadrant's name."""
    status, value = str(record["icer_status"]), record["icer"]
    if status == "more_costly_more_effective":
        text = f"{number(value)} per QALY gained"
    elif status == "less_costly_less_effective":
        text = f"{number(value)} saved per QALY lost"
    else:
        text = STATUS_WORDS.get(status, status.replace("_", " "))
    return f'<td class="icer" data-value="{data_value(value)}">{escape(text)}</td>'


def probabilities(record: Mapping, key: str) -> str:
    """``P(cost-effective) 93%`` and ``P(best) 60%`` at one threshold, one per line."""
    parts = []
    for label, column in (("P(cost-effective)", "p_cost_effective"), ("P(best)", "p_best")):
        value = record.get(f"{column}_{key}", float("nan"))
        if isinstance(value, float | int) and math.isfinite(value):
            parts.append(f"{label} {100 * value:.0f}%")
    return "".join(f'<span class="p">{part}</span>' for part in parts)


def threshold_cell(record: Mapping, key: str, reference: bool) -> str:
    """Incremental NMB with its CI, and the probabilities, at one threshold."""
    cell = "<td>" if reference else interval_cell(record, f"incremental_nmb_{key}")[:-5]
    return cell + probabilities(record, key) + "</td>"


def decision_table(comparison: ComparisonData) -> str:
    """One row per variant: verdict, increments, ICER, NMB and probabilities per threshold."""
    ce = comparison.cost_effectiveness
    if ce.empty or "variant" not in ce:
        return '<p class="note">No decision table: cost_effectiveness.csv is missing.</p>'
    thresholds = comparison.thresholds
    head = ["Scheme", "Verdict", "Δ cost / period", "Δ QALYs / period", "ICER"]
    head += [f"Δ NMB at {t:,.0f} per QALY" for t in thresholds]
    cells = "".join(
        f'<th scope="col"{" class=text" if k < 2 else ""}><button type="button">'
        f"{escape(h)}</button></th>"
        for k, h in enumerate(head)
    )
    rows = []
    for record in ce.to_dict("records"):
        name = str(record["variant"])
        reference = name == comparison.reference
        verdict = str(record.get("verdict") or "")
        row = [
            f'<th scope="row" class="text">{escape(name)}</th>',
            f'<td class="text verdict">{escape(verdict)}</td>',
        ]
        if reference:
            level = f"cost {number(record['cost'])}, QALYs {number(record['qalys'])} per period"
            row.append(f'<td class="text" colspan="3">{escape(level)}</td>')
        else:
            row += [
                interval_cell(record, "incremental_cost", "relative_cost"),
                interval_cell(record, "incremental_qalys", "relative_qalys"),
                icer_cell(record),
            ]
        row += [threshold_cell(record, threshold_label(t), reference) for t in thresholds]
        rows.append(f"<tr{' class=reference' if reference else ''}>{''.join(row)}</tr>")
    return (
        '<div class="table-wrap"><table id="decision" class="sortable decision">'
        f"<thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def decision_section(comparison: ComparisonData) -> str:
    """The decision: the table and what its columns mean, with the run's warnings."""
    m = comparison.manifest
    first = next(iter(comparison.variants.values()), None)
    window = (
        period_span(
            float(first.scenario.get("period_days", 30.4375)), first.warmup, first.horizon - 1
        )
        if first is not None
        else "the window after warm-up"
    )
    perspective = str(m.get("perspective_cost") or m.get("perspective") or "")
    thresholds = ", ".join(f"{t:,.0f}" for t in comparison.thresholds) or "none given"
    note = (
        f"Each scheme against {comparison.reference}, {window}, {m.get('replications', '?')} "
        f"replications with common random numbers. Cost: {perspective}, currency units per "
        "period. Δ = scheme − reference, mean of paired differences with 95% CI (bold: the "
        "CI excludes zero). NMB = threshold × QALYs − cost. P(cost-effective): share of "
        "replications in which the scheme's NMB beats the reference's; P(best): share in "
        f"which it has the highest NMB of all schemes. Thresholds (willingness to pay per "
        f"QALY, currency units): {thresholds}. {discount_note(m)}"
    )
    return (
        '<section id="decision-section"><h2>The decision</h2>'
        + warnings_block(m)
        + decision_table(comparison)
        + f'<p class="note">{escape(note)}</p></section>'
    )


def full_table(table: pd.DataFrame) -> str:
    """comparison.csv as a sortable table, folded away under a summary line."""
    if table.empty:
        return "<p>No comparison table.</p>"
    wanted = ("variant", "metric", "unit", "mean", "reference_mean")
    wanted += ("difference", "ci_low", "ci_high", "replications")
    columns = [c for c in wanted if c in table]
    head = "".join(
        f'<th scope="col"><button type="button">{escape(c)}</button></th>' for c in columns
    )
    rows = []
    for record in table.to_dict("records"):
        cells = []
        for c in columns:
            value = record[c]
            if isinstance(value, str) or not isinstance(value, int | float):
                cells.append(f'<td class="text">{escape(str(value))}</td>')
            else:
                cells.append(f'<td data-value="{data_value(value)}">{number(float(value))}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<details id="full-table"><summary>Every metric, each variant against the reference '
        f"({len(table)} rows: comparison.csv)</summary>"
        '<div class="table-wrap"><table id="comparison" class="sortable">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></details>"
    )


def comparison_dashboard(comparison: ComparisonData, figures: Sequence[FigureRef]) -> str:
    """The comparison page: the decision, figures, the full table, variant dashboards."""
    links = "".join(
        f'<li><a href="variants/{escape(name, quote=True)}/dashboard.html">{escape(name)}</a>'
        f"{' (reference)' if name == comparison.reference else ''}</li>"
        for name in comparison.variants
    )
    body = (
        decision_section(comparison)
        + effects_section(comparison.effects)
        + figures_section(figures)
        + '<section id="details"><h2>Details</h2>'
        + full_table(comparison.comparison)
        + f"<h3>Each scheme's value dashboard</h3><ul>{links}</ul></section>"
    )
    names = ", ".join(comparison.variants)
    return page(
        f"Which scheme? {comparison.manifest.get('name', names)}",
        f"{names}; reference {comparison.reference}; created "
        f"{comparison.manifest.get('created_utc', 'unknown')}",
        body,
    )
