"""The PSA dashboard, decision first: which scheme under parameter uncertainty, how sure,
and what learning more would be worth."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

from simulate.compare.discounting import discount_note
from simulate.formatting import number, signed
from simulate.report.html import FigureRef, data_value, figures_section, page, warnings_block


def _range_cell(row: Mapping, key: str) -> str:
    """``+12 [3, 21]``: the mean and its 95% range across draws."""
    value, low, high = row[key], row[f"{key}_low"], row[f"{key}_high"]
    return (
        f'<td data-value="{data_value(value)}">{signed(value)} '
        f'<span class="ci">[{number(low)}, {number(high)}]</span></td>'
    )


def _share(value: float) -> str:
    return "" if not math.isfinite(value) else f"{100 * value:.0f}%"


def decision_table(decision: pd.DataFrame, thresholds: Sequence[str], reference: str) -> str:
    """One row per variant: Δ cost and Δ QALYs with 95% ranges, and at each threshold
    P(cost-effective), P(best), the expected loss and whether it is the optimal choice."""
    head = ["Scheme", "Δ cost / period", "Δ QALYs / period"]
    head += [f"At {float(t):,.0f} per QALY" for t in thresholds]
    cells = "".join(
        f'<th scope="col"><button type="button">{escape(h)}</button></th>' for h in head
    )
    rows = []
    for row in decision.to_dict("records"):
        name = str(row["variant"])
        parts = [f'<th scope="row" class="text">{escape(name)}</th>']
        if name == reference:
            parts.append('<td colspan="2" class="text">reference</td>')
        else:
            parts += [_range_cell(row, "incremental_cost"), _range_cell(row, "incremental_qalys")]
        for t in thresholds:
            optimal = "<strong>optimal choice</strong><br>" if row[f"optimal_{t}"] else ""
            parts.append(
                f'<td data-value="{data_value(row[f"expected_loss_{t}"])}">{optimal}'
                f'<span class="p">P(cost-effective) {_share(row[f"p_cost_effective_{t}"])}</span>'
                f'<span class="p">P(best) {_share(row[f"p_best_{t}"])}</span>'
                f'<span class="p">expected loss {number(row[f"expected_loss_{t}"])}</span></td>'
            )
        rows.append(f"<tr>{''.join(parts)}</tr>")
    return (
        '<div class="table-wrap"><table id="decision" class="sortable decision">'
        f"<thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def information_section(
    decision: pd.DataFrame, evppi: pd.DataFrame, thresholds: Sequence[str]
) -> str:
    """EVPI per threshold and the EVPPI table."""
    items = "".join(
        f"<li>at {float(t):,.0f} per QALY: {number(decision[f'evpi_{t}'].iloc[0])} per period"
        + _population(decision, f"population_evpi_{t}")
        + "</li>"
        for t in thresholds
    )
    text = f"<h3>Expected value of perfect information</h3><ul>{items}</ul>"
    if not evppi.empty:
        rows = "".join(
            f"<tr><td class=text>{escape(str(r['parameters']))}</td>"
            f'<td data-value="{data_value(r["evppi"])}">{number(r["evppi"])} '
            f'<span class="ci">± {number(1.96 * r["evppi_se"])}</span></td>'
            f"<td>{_share(r['share_of_evpi'])}</td>"
            f"<td>{r['metamodel_r_squared_min']:.2f}</td></tr>"
            for r in evppi.to_dict("records")
        )
        text += (
            "<h3>Expected value of partial perfect information</h3>"
            '<div class="table-wrap"><table id="evppi" class="sortable"><thead><tr>'
            + "".join(
                f'<th scope="col"><button type="button">{h}</button></th>'
                for h in ("Parameters", "EVPPI (95% interval)", "Share of EVPI", "Metamodel R²")
            )
            + f"</tr></thead><tbody>{rows}</tbody></table></div>"
        )
    return f'<section id="information"><h2>What learning more is worth</h2>{text}</section>'


def _population(decision: pd.DataFrame, column: str) -> str:
    """``; 1.2M for the population over its years`` when the PSA has a population."""
    if column not in decision:
        return ""
    return f"; {number(decision[column].iloc[0])} for the population over the decision's years"


def variance_note(variance: pd.DataFrame) -> str:
    """The split of variance between parameters and patient-level noise, in words."""
    if variance.empty:
        return ""
    lines = []
    for r in variance.to_dict("records"):
        need = r["replications_for_5pct_noise"]
        advice = (
            f"; {int(need)} replications per draw would keep the noise under 5%"
            if isinstance(need, int | float) and math.isfinite(need)
            else ""
        )
        lines.append(
            f"<li>{escape(str(r['variant']))}: {_share(r['share_parameters'])} of the variance "
            f"of the incremental net benefit across draws comes from the parameters, the rest "
            f"from patient-level noise with {r['replications']:.0f} replications{advice}.</li>"
        )
    return (
        '<section id="variance"><h2>Parameters or noise?</h2><ul>' + "".join(lines) + "</ul>"
        '<p class="note">One-way ANOVA over draws (O\'Hagan, Stevenson &amp; Madan 2007).</p>'
        "</section>"
    )


def psa_dashboard(
    manifest: Mapping,
    decision: pd.DataFrame,
    variance: pd.DataFrame,
    evppi: pd.DataFrame,
    figures: Sequence[FigureRef],
) -> str:
    """The PSA page: the decision, its figures, the value of information, the variance."""
    thresholds = [c.removeprefix("p_best_") for c in decision.columns if c.startswith("p_best_")]
    reference = str(manifest.get("reference", ""))
    note = (
        f"{manifest.get('draws_complete', '?')} parameter draws x "
        f"{manifest.get('replications_per_draw', '?')} replications per variant (common random "
        f"numbers). Δ = scheme − {reference}: mean across draws, 95% range across draws "
        "(parameter uncertainty). P(cost-effective): share of draws in which the scheme's net "
        "monetary benefit beats the reference's; P(best): share in which it is the highest of "
        "all. Expected loss: what choosing it costs on average against choosing the best in "
        "each draw; the optimal choice has the lowest, which equals the EVPI. "
        + discount_note(manifest)
    )
    body = (
        '<section id="decision-section"><h2>The decision under uncertainty</h2>'
        + warnings_block(manifest)
        + decision_table(decision, thresholds, reference)
        + f'<p class="note">{escape(note)}</p></section>'
        + figures_section(figures)
        + information_section(decision, evppi, thresholds)
        + variance_note(variance)
    )
    return page(
        f"PSA: {manifest.get('name', '')}",
        f"reference {reference}; created {manifest.get('created_utc', 'unknown')}",
        body,
    )
