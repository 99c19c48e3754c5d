"""The value dashboard of one run: headline, teams and physicians, figures, rules in force.

Every piece of text that comes from a scenario or a table is passed through
:func:`html.escape`: scenario files come from strangers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import pandas as pd

from simulate.report import describe, scorecard
from simulate.report.data import RunData
from simulate.report.html import FigureRef, data_value, figures_section, page

LABELS = {
    "unit": "Name",
    "team": "Team",
    "episodes": "Episodes / period",
    "cost_per_episode": "Cost per episode",
    "complication_rate": "Complications",
    "readmission_rate": "Readmissions",
    "mean_wait_days": "Wait (days)",
    "recovery_days": "Recovery (days)",
    "qalys": "QALYs / period",
    "value": "Value",
    "rank": "Rank by value",
    "value_change": "Value change since last period",
    "bonuses": "Bonuses / period",
    "penalties": "Penalties / period",
}
HEADLINE_LABELS = {
    "unit": "Name",
    "team": "Team",
    "value": "Value: QALYs per 1,000 currency",
    "cost_per_episode": "Cost per episode (currency)",
    "readmission_rate": "Readmission rate",
    "complication_rate": "Complication rate",
    "mean_wait_days": "Mean wait (days)",
    "recovery_days": "Recovery (days per episode)",
    "qalys": "QALYs gained per period",
}
PERCENT = {"complication_rate", "readmission_rate"}


def fmt(metric: str, value: float) -> str:
    """A number for display (missing values as an en dash)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if metric in PERCENT:
        return f"{value:.1%}"
    if metric == "value" or metric == "value_change":
        return f"{value:+.4f}" if metric == "value_change" else f"{value:.4f}"
    if metric == "rank":
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.2g}"


def arrow(change: float, better: bool | None) -> str:
    """An arrow for a change, marked better or worse."""
    if not math.isfinite(change) or change == 0:
        return '<span class="flat">→ no change</span>'
    symbol = "▲" if change > 0 else "▼"
    cls, word = ("better", "better") if better else ("worse", "worse")
    return f'<span class="{cls}" title="{word}">{symbol} {word}</span>'


def headline_cards(run: RunData) -> str:
    """The headline figures with 95% CI and trend arrows."""
    trend, heads = scorecard.headlines(run)
    cards = []
    for h in heads:
        ci = (
            f"95% CI {fmt(h.metric, h.ci_low)} to {fmt(h.metric, h.ci_high)}"
            if math.isfinite(h.ci_low)
            else "one replication: no CI"
        )
        change = f"{fmt(h.metric, h.before)} → {fmt(h.metric, h.after)}"
        cards.append(
            f'<div class="card{" main" if h.metric == "value" else ""}" '
            f'data-metric="{escape(h.metric)}">'
            f'<div class="label">{escape(HEADLINE_LABELS[h.metric])}</div>'
            f'<div class="number">{fmt(h.metric, h.mean)}</div>'
            f'<div class="ci">{ci}</div>'
            f'<div class="trend">{arrow(h.change, h.better)} {change}</div></div>'
        )
    warm = run.warmup
    return (
        '<section id="headline"><h2>Headline</h2>'
        f'<p class="note">Organisation, mean per period (or pooled rate) after warm-up '
        f"(periods {warm}-{run.horizon - 1}), across "
        f"{run.trajectories['replication'].nunique()} replications. Trend arrows compare "
        f"{escape(trend.description)}, pooled across replications.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def sortable_table(table: pd.DataFrame, columns: Sequence[str], table_id: str, caption: str) -> str:
    """An HTML table sortable by clicking a header; numbers carry raw data-value attributes."""
    head = "".join(
        f'<th scope="col"{" class=text" if table[c].dtype == object else ""}>'
        f'<button type="button">{escape(LABELS.get(c, c))}</button></th>'
        for c in columns
    )
    rows = []
    for _, row in table.iterrows():
        cells = []
        for c in columns:
            value = row[c]
            if isinstance(value, str):
                cells.append(f'<td class="text">{escape(value)}</td>')
            elif c == "value_change":
                better = None if not math.isfinite(value) else value > 0
                text = fmt(c, value) + (" " + arrow(value, better) if math.isfinite(value) else "")
                cells.append(f'<td data-value="{data_value(value)}">{text}</td>')
            else:
                cells.append(f'<td data-value="{data_value(value)}">{fmt(c, value)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap"><table id="{table_id}" class="sortable">'
        f"<caption class=note>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def unit_tables(run: RunData) -> str:
    """The team table and the physician table."""
    metrics = list(scorecard.TABLE_METRICS)
    extra = ["rank", "value_change", "bonuses", "penalties"]
    teams = scorecard.unit_table(run, "team")
    physicians = scorecard.unit_table(run, "physician")
    note = (
        "Window figures are means across replications after warm-up; rates pooled over "
        "the window. Rank 1 = highest value (physicians within their team, teams within "
        "the organisation). Value change: last period against the one before, pooled "
        "across replications. Bonuses and penalties: incentive payments and deductions, "
        "mean per period after warm-up. Click a column header to sort."
    )
    return (
        '<section id="tables"><h2>Teams and physicians</h2>'
        f'<p class="note">{escape(note)}</p><h3>Teams</h3>'
        + sortable_table(teams, ["unit", *metrics, *extra], "teams", "Teams")
        + "<h3>Physicians</h3>"
        + sortable_table(physicians, ["unit", "team", *metrics, *extra], "physicians", "Physicians")
        + "</section>"
    )


def rules_section(run: RunData) -> str:
    """The scenario's description and rules in force, in plain words."""
    s = run.scenario
    parts = [
        '<section id="rules"><h2>The scenario and the rules in force</h2>',
        f'<p class="description">{escape(str(s.get("description") or "(no description)"))}</p>',
        f'<p class="note">{escape(run.name)}: {len(s.get("teams") or [])} teams, '
        f"{len(run.physician_names)} physicians, {run.horizon} periods of "
        f"{float(s.get('period_days', 0)):.4g} days, warm-up {run.warmup} periods, "
        f"seed {escape(str(s.get('seed', '')))}.</p>",
        "<h3>Base payment</h3><ul class=rules>",
        *(f"<li>{escape(line)}</li>" for line in describe.describe_payment(s)),
        "</ul><h3>Incentive rules</h3>",
    ]
    rules = s.get("incentives") or []
    if rules:
        parts.append("<ul class=rules>")
        for k, rule in enumerate(rules):
            d = describe.describe_rule(rule, k)
            text = (
                f"<strong>{escape(d['name'])}</strong> ({escape(d['type'])}): metric "
                f"{escape(d['metric'])}; level {escape(d['level'])}; {escape(d['amounts'])}; "
                f"{escape(d['timing'])}."
            )
            if d["settings"]:
                text += f' <span class="note">Settings: {escape(d["settings"])}.</span>'
            parts.append(f"<li>{text}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p>None: base payment only.</p>")
    parts.append("<h3>Peer pressure</h3>")
    peer = describe.describe_peer_pressure(s)
    if peer:
        parts.append("<ul class=rules>" + "".join(f"<li>{escape(x)}</li>" for x in peer) + "</ul>")
    else:
        parts.append("<p>None: physicians do not see each other's figures.</p>")
    parts.append(f"<h3>Behaviour</h3><p>{escape(describe.describe_behaviour(s))}</p></section>")
    return "".join(parts)


def run_dashboard(run: RunData, figures: Sequence[FigureRef]) -> str:
    """The value dashboard of one run."""
    m = run.manifest
    reps = run.trajectories["replication"].nunique()
    subtitle = (
        f"{run.name}: {reps} replications, {run.horizon} periods, warm-up {run.warmup}; "
        f"created {m.get('created_utc', 'unknown')}"
    )
    if m.get("complete") is False:
        subtitle += " (incomplete run: interrupted)"
    body = headline_cards(run) + unit_tables(run) + figures_section(figures) + rules_section(run)
    return page(f"Value dashboard: {run.name}", subtitle, body)
