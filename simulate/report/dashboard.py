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
from simulate.report.html import FigureRef, data_value, figures_section, page, warnings_block
from simulate.units import period_span, period_unit

VALUE_SCALE = 10.0
"""The value metric is QALYs per 1,000 currency units; the dashboard shows QALYs per 10,000
(stated once, in the column and card labels)."""
LABELS = {
    "unit": "Name",
    "team": "Team",
    "episodes": "Episodes / month",
    "cost_per_episode": "Cost per episode",
    "complication_rate": "Complic\u00adations",
    "readmission_rate": "Readmis\u00adsions",
    "mean_wait_days": "Wait",
    "recovery_days": "Recovery",
    "qalys": "QALYs / month",
    "value": "Value (QALYs per 10,000)",
    "rank": "Rank in peer group",
    "sparkline": "Value by month",
    "value_change": "Value change (policy)",
    "bonuses": "Bonuses / month",
    "penalties": "Penalties / month",
}
HEADLINE_LABELS = {
    "value": "Value: QALYs per 10,000 spent on care",
    "cost_per_episode": "Cost per episode",
    "readmission_rate": "Readmissions (% of episodes)",
    "complication_rate": "Complications (% of episodes)",
    "mean_wait_days": "Mean wait for treatment",
    "recovery_days": "Recovery (days per episode)",
    "qalys": "QALYs gained per month",
}
PERCENT = {"complication_rate", "readmission_rate"}


def duration(days: float) -> str:
    """A wait or recovery time as clinicians read it: ``40 min``, ``15 h``, ``3.2 days``."""
    if days < 1 / 24:
        return f"{days * 24 * 60:.0f} min"
    if days < 2:
        return f"{days * 24:.1f} h" if days < 10 / 24 else f"{days * 24:.0f} h"
    return f"{days:.1f} days" if days < 100 else f"{days:,.0f} days"


def fmt(metric: str, value: float) -> str:
    """A number in clinicians' units (missing values as an en dash)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if metric in PERCENT:
        return f"{value:.1%}" if abs(value) >= 0.001 else f"{value:.2%}"
    if metric in ("mean_wait_days", "recovery_days"):
        return duration(value)
    if metric == "value":
        return f"{VALUE_SCALE * value:.3g}"
    if metric == "value_change":
        return f"{VALUE_SCALE * value:+.2g}"
    if metric == "rank":
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.2g}"


def arrow(change: float, better: bool | None) -> str:
    """An arrow for a clear change, marked better or worse; else "no clear change"."""
    if better is None or not math.isfinite(change) or change == 0:
        return '<span class="flat">no clear change</span>'
    symbol = "▲" if change > 0 else "▼"
    cls = "better" if better else "worse"
    return f'<span class="{cls}" title="{cls} (95% CI excludes no change)">{symbol} {cls}</span>'


def sparkline(values: Sequence[float], start: int | None = None) -> str:
    """An inline SVG line of ``values`` (one per period) scaled to its own range, with a
    tick at the policy's ``start`` period; empty when there is nothing to draw."""
    points = [(k, float(v)) for k, v in enumerate(values) if math.isfinite(float(v))]
    if len(points) < 2:
        return ""
    width, height, pad = 72.0, 22.0, 2.0
    low, high = min(v for _, v in points), max(v for _, v in points)
    span_x, span_y = max(len(values) - 1, 1), (high - low) or 1.0

    def x(k: float) -> float:
        return pad + (width - 2 * pad) * k / span_x

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v - low) / span_y

    line = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in points)
    tick = ""
    if start is not None and 0 < start < len(values):
        tick = f'<line x1="{x(start):.1f}" x2="{x(start):.1f}" y1="0" y2="{height}" class="tick"/>'
    return (
        f'<svg class="spark" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="value by month">{tick}<polyline points="{line}"/></svg>'
    )


def headline_cards(run: RunData) -> str:
    """The headline figures: window mean with 95% CI, and the phases with a clear-change arrow."""
    trend, heads = scorecard.headlines(run)
    cards = []
    for h in heads:
        ci = (
            f"95% CI {fmt(h.metric, h.ci_low)} to {fmt(h.metric, h.ci_high)}"
            if math.isfinite(h.ci_low)
            else "one replication: no CI"
        )
        phases = f"before {fmt(h.metric, h.before)} → with the policy {fmt(h.metric, h.after)}"
        if math.isfinite(h.ended):
            phases += f" → after it {fmt(h.metric, h.ended)}"
        cards.append(
            f'<div class="card{" main" if h.metric == "value" else ""}" '
            f'data-metric="{escape(h.metric)}">'
            f'<div class="label">{escape(HEADLINE_LABELS[h.metric])}</div>'
            f'<div class="number">{fmt(h.metric, h.mean)}</div>'
            f'<div class="ci">{ci}</div>'
            f'<div class="trend">{phases}<br>{arrow(h.change, h.better)}</div></div>'
        )
    unit_days = float(run.scenario.get("period_days", 30.4375))
    window = period_span(unit_days, run.warmup, run.horizon - 1)
    return (
        '<section id="headline"><h2>Headline</h2>'
        f'<p class="note">Organisation, mean per month (or pooled rate) over {window} '
        f"(after warm-up), across {run.trajectories['replication'].nunique()} replications, "
        "with 95% bootstrap CIs. Phases: "
        f"{escape(trend.description)}. An arrow marks a change whose 95% paired CI across "
        "replications excludes zero; otherwise: no clear change.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def sortable_table(
    table: pd.DataFrame,
    columns: Sequence[str],
    table_id: str,
    caption: str,
    sparklines: dict[str, str] | None = None,
) -> str:
    """An HTML table sortable by clicking a header; numbers carry raw data-value attributes.

    ``value_change`` cells carry an arrow only when ``value_change_low``/``_high`` exclude
    zero; a ``sparkline`` column shows ``sparklines[unit]``.
    """
    head = "".join(
        f'<th scope="col"{" class=text" if c in ("unit", "team") else ""}>'
        + (
            escape(LABELS.get(c, c))
            if c == "sparkline"
            else f'<button type="button">{escape(LABELS.get(c, c))}</button>'
        )
        + "</th>"
        for c in columns
    )
    rows = []
    for record in table.to_dict("records"):
        cells = []
        for c in columns:
            if c == "sparkline":
                cells.append(f'<td class="spark">{(sparklines or {}).get(record["unit"], "")}</td>')
                continue
            value = record[c]
            if isinstance(value, str):
                cells.append(f'<td class="text">{escape(value)}</td>')
            elif c == "value_change":
                low, high = record.get("value_change_low"), record.get("value_change_high")
                clear = math.isfinite(low) and (low > 0 or high < 0)
                better = (value > 0) if clear else None
                text = fmt(c, value) + (" " + arrow(value, better) if math.isfinite(value) else "")
                cells.append(f'<td data-value="{data_value(value)}">{text}</td>')
            else:
                cells.append(f'<td data-value="{data_value(value)}">{fmt(c, value)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap"><table id="{table_id}" class="sortable units">'
        f"<caption class=note>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def unit_tables(run: RunData) -> str:
    """The team table and the physician table (the physician value dashboard)."""
    metrics = list(scorecard.TABLE_METRICS)
    extra = ["rank", "sparkline", "value_change", "bonuses", "penalties"]
    teams = scorecard.unit_table(run, "team")
    physicians = scorecard.unit_table(run, "physician")
    start = describe.first_policy_start(run.scenario)
    lines = {
        level: {
            unit: sparkline(values, start)
            for unit, values in scorecard.value_by_period(run, level).items()
        }
        for level in ("team", "physician")
    }
    trend = scorecard.trend_windows(run)
    note = (
        "Means per month across replications after warm-up; rates pooled. Value = QALYs "
        "gained per 10,000 currency units of care, the outcome that matters to patients per "
        "unit of cost. Rank 1 = highest value within the peer group (physicians within their "
        "team, which shares their case mix; teams within the organisation). Value by month: "
        "the line from the first month, the tick at the policy start. Value change: "
        f"{trend.description}; an arrow only where the 95% paired CI across replications "
        "excludes zero. Bonuses and penalties: incentive payments and deductions. Click a "
        "column header to sort."
    )
    return (
        '<section id="tables"><h2>Physicians and teams</h2>'
        f'<p class="note">{escape(note)}</p><h3>Physicians</h3>'
        + sortable_table(
            physicians,
            ["unit", "team", *metrics, *extra],
            "physicians",
            "Physicians",
            lines["physician"],
        )
        + "<h3>Teams</h3>"
        + sortable_table(teams, ["unit", *metrics, *extra], "teams", "Teams", lines["team"])
        + "</section>"
    )


def binding_text(entry: dict | None) -> str:
    """How often a rule paid, and its cap or gate bound, in words (from the manifest)."""
    if not entry or not entry.get("evaluated"):
        return ""
    text = (
        f"Shape: {entry['shape'].replace('_', ' ')}. Over {entry['evaluated']:,} "
        f"unit-evaluations: {entry['share_paid']:.0%} paid or charged"
    )
    if entry.get("capped"):
        text += f", {entry['share_at_cap']:.0%} at the cap"
    if "share_gate_failed" in entry:
        text += f", {entry['share_gate_failed']:.0%} held back by the quality gate"
    return text + "."


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
            d = describe.describe_rule(rule, k, period_unit(float(s.get("period_days", 30.4375))))
            text = (
                f"<strong>{escape(d['name'])}</strong> ({escape(d['type'])}): metric "
                f"{escape(d['metric'])}; level {escape(d['level'])}; {escape(d['amounts'])}; "
                f"{escape(d['timing'])}."
            )
            if d["settings"]:
                text += f' <span class="note">Settings: {escape(d["settings"])}.</span>'
            bound = binding_text((run.manifest.get("rule_bindings") or {}).get(d["name"]))
            if bound:
                text += f' <span class="note">{escape(bound)}</span>'
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
    unit_days = float(run.scenario.get("period_days", 30.4375))
    warm = f", warm-up {period_span(unit_days, 0, run.warmup - 1)}" if run.warmup else ""
    subtitle = (
        f"{run.name}: {reps} replications, {period_span(unit_days, 0, run.horizon - 1)}"
        f"{warm}; created {m.get('created_utc', 'unknown')}"
    )
    if m.get("complete") is False:
        subtitle += " (incomplete run: interrupted)"
    body = (
        warnings_block(m)
        + headline_cards(run)
        + unit_tables(run)
        + figures_section(figures)
        + rules_section(run)
    )
    return page(f"Value dashboard: {run.name}", subtitle, body)
