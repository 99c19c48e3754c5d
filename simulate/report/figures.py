"""The run's figures: one function per figure, each returning a matplotlib Figure.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, Agg rendering), so
they can be inspected in tests and saved by :func:`simulate.report.charts.save_figure`.
The economics figures are in :mod:`simulate.report.economics_figures`.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from simulate.accounts.catalogue import METRIC_CATALOGUE, key_metrics
from simulate.accounts.metrics import METRIC_UNITS
from simulate.report.charts import THOUSANDS, legend_below, new_figure
from simulate.report.data import RunData
from simulate.report.describe import policy_windows
from simulate.report.palette import (
    COMPONENT_COLOURS,
    DPI,
    GREY,
    POLICY,
    colour,
    colour_map,
)
from simulate.report.stats import (
    BASE_COMPONENTS,
    COMPONENT_LABELS,
    RISK_COMPONENTS,
    Z95,
    Z998,
    bootstrap_interval,
    funnel_limits,
    funnel_points,
    income_components,
)
from simulate.units import period_unit

KEY_METRICS = tuple(
    m for m in key_metrics("payment_total", "intensity", "quality_effort") if m != "episodes"
)
"""Organisation-level metrics drawn as trajectories."""

TITLES = {m: METRIC_CATALOGUE[m].label for m in KEY_METRICS}

AXIS_UNITS = {m: METRIC_CATALOGUE[m].short_unit for m in KEY_METRICS}
"""Short axis units (the full definitions are in docs/outputs.md)."""
STYLE_LABELS = {
    "intensity": "intensity (x guideline, per episode)",
    "quality_effort": "quality effort (share 0-1, per episode)",
}


def period_label(run: RunData) -> str:
    """x-axis label: the period unit counted from 1 (``Month``), as everywhere on the page."""
    days = float(run.scenario.get("period_days", 30.4375))
    unit = period_unit(days)
    if unit == "period":
        return f"Period (from 1; 1 period = {days:.3g} days)"
    return f"{unit.capitalize()} (from 1)"


def mark_policies(ax, runs: Mapping[str, RunData]) -> None:
    """Warm-up shaded grey, each policy's time in force shaded light, its start (solid)
    and end (dashed) as vertical lines named in the legend, on an axis of periods counted
    from 1.

    Lines are at the first and last period in force; they carry gid ``policy-start`` and
    ``policy-end`` so tests can find them.
    """
    first = next(iter(runs.values()))
    if first.warmup > 0:
        ax.axvspan(0.5, first.warmup + 0.5, color=GREY, alpha=0.15, lw=0, label="warm-up")
    starts: dict[int, list[str]] = {}
    ends: dict[int, list[str]] = {}
    spans: set[tuple[int, int]] = set()
    for run in runs.values():
        for window in policy_windows(run.scenario):
            last = run.horizon - 1 if window.end is None else min(int(window.end), run.horizon - 1)
            spans.add((window.start, last))
            if window.start > 0:
                starts.setdefault(window.start + 1, []).append(window.label)
            if window.end is not None and window.end < run.horizon - 1:
                ends.setdefault(int(window.end) + 1, []).append(window.label)
    for start, last in spans:
        ax.axvspan(start + 0.5, last + 1.5, color=POLICY, alpha=0.06, lw=0, gid="policy-phase")
    for x, labels in starts.items():
        names = textwrap.shorten(", ".join(dict.fromkeys(labels)), 60, placeholder="…")
        ax.axvline(x, color=POLICY, lw=1.2, gid="policy-start", label=f"start: {names}")
    for x, labels in ends.items():
        names = textwrap.shorten(", ".join(dict.fromkeys(labels)), 60, placeholder="…")
        ax.axvline(x, color=POLICY, lw=1.2, ls="--", gid="policy-end", label=f"end: {names}")


def metric_band(trajectories: pd.DataFrame, metric: str, level: str = "organisation"):
    """Per period (counted from 1): mean across replications and its 95% percentile-bootstrap
    CI, which stays within the data (no negative waits or rates); NaN with one replication."""
    rows = trajectories[trajectories["level"] == level]
    if level == "organisation":
        rows = rows[rows["unit"] == "organisation"]
    wide = rows.pivot_table(index="replication", columns="period", values=metric, dropna=False)
    mean, low, high = bootstrap_interval(wide.to_numpy(dtype=float))
    return wide.columns.to_numpy() + 1, mean, low, high


def trajectory_figure(runs: Mapping[str, RunData], metric: str) -> Figure:
    """Organisation-level ``metric`` per period: one line per variant with its 95% CI band."""
    fig, (ax,) = new_figure()
    first = next(iter(runs.values()))
    for k, (name, run) in enumerate(runs.items()):
        if metric not in run.trajectories:
            continue
        x, mean, low, high = metric_band(run.trajectories, metric)
        ax.plot(x, mean, color=colour(k), lw=1.6, label=name, gid="variant")
        if np.isfinite(low).any():
            ax.fill_between(x, low, high, color=colour(k), alpha=0.2, lw=0)
    mark_policies(ax, runs)
    reps = first.trajectories["replication"].nunique()
    ax.set_title(f"{TITLES.get(metric, metric)}: organisation, mean and 95% CI")
    ax.set_xlabel(period_label(first))
    ax.set_ylabel(f"{metric} ({AXIS_UNITS.get(metric, METRIC_UNITS.get(metric, ''))})", fontsize=8)
    legend_below(fig, [ax], title=f"{reps} replications")
    return fig


def style_fan_figure(run: RunData) -> Figure:
    """Intensity and quality effort across physicians per period: median and 10-90% band.

    Pooled over physicians and replications, from the physician rows of trajectories
    (means per index episode; periods with no episode are left out).
    """
    fig, axes = new_figure((8.0, 3.4), ncols=2)
    rows = run.trajectories[run.trajectories["level"] == "physician"]
    for ax, metric, k in zip(axes, ("intensity", "quality_effort"), (0, 2), strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            q = rows.groupby("period")[metric].quantile([0.1, 0.5, 0.9]).unstack()
        x = q.index + 1
        ax.fill_between(x, q[0.1], q[0.9], color=colour(k), alpha=0.25, lw=0, label="10-90%")
        ax.plot(x, q[0.5], color=colour(k), lw=1.8, label="median", gid="median")
        mark_policies(ax, {run.name: run})
        ax.set_title(f"{TITLES[metric]} across physicians", fontsize=10)
        ax.set_xlabel(period_label(run), fontsize=8)
        ax.set_ylabel(STYLE_LABELS[metric], fontsize=8)
    legend_below(fig, axes)
    fig.suptitle("Distribution of practice styles over time", fontsize=11)
    return fig


ADJUSTMENTS = ("bonuses", "penalties", *RISK_COMPONENTS)
"""What the income chart's lower panel shows at its own scale (currency per period)."""


def income_figure(run: RunData) -> Figure:
    """Each physician's income by component (top) and, at their own scale, the incentive
    bonuses and penalties and any cost of care borne or investment share (bottom:
    negatives stacked below zero), which are small beside the base."""
    table = income_components(run)
    fig = Figure(figsize=(max(6.0, 0.45 * len(table) + 2.5), 5.2), dpi=DPI, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    for ax in (top, bottom):
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    x = np.arange(len(table))
    stack = np.zeros(len(table))
    for column in BASE_COMPONENTS:
        if column in table and (table[column] != 0).any():
            values = table[column].to_numpy()
            top.bar(
                x,
                values,
                bottom=stack,
                color=COMPONENT_COLOURS[column],
                label=COMPONENT_LABELS[column],
            )
            stack += values
    always = ("bonuses", "penalties")
    shown = [c for c in ADJUSTMENTS if c in table and (c in always or table[c].any())]
    net = table[shown].sum(axis=1).to_numpy() if shown else np.zeros(len(table))
    top.bar(x, net, bottom=stack, color=COMPONENT_COLOURS["bonuses"], label="incentives (net)")
    top.yaxis.set_major_formatter(THOUSANDS)
    top.set_ylabel("Income (currency per period)", fontsize=8)
    top.set_title("Physician income by component (mean per period after warm-up)")
    top.legend(fontsize=7, frameon=False, ncols=3, loc="lower right")
    _adjustment_bars(bottom, x, table, shown)
    bottom.axhline(0, color="black", lw=0.8)
    bottom.yaxis.set_major_formatter(THOUSANDS)
    label = "Incentives" if shown == ["bonuses", "penalties"] else "Incentives and risk"
    bottom.set_ylabel(f"{label} (currency per period)", fontsize=8)
    bottom.legend(fontsize=7, frameon=False, ncols=2, loc="best")
    bottom.set_xticks(x, table.index, rotation=60, ha="right", fontsize=7)
    bottom.set_xlabel("Physician")
    return fig


def _adjustment_bars(ax, x: np.ndarray, table: pd.DataFrame, shown: list[str]) -> None:
    """Bonuses above zero; penalties, cost borne and investment stacked below it."""
    below = np.zeros(len(table))
    for column in shown:
        values = table[column].to_numpy()
        negative = column != "bonuses"
        ax.bar(
            x,
            values,
            bottom=below if negative else None,
            color=COMPONENT_COLOURS[column],
            hatch="//" if column == "penalties" else None,
            label=COMPONENT_LABELS[column],
            gid=column,
        )
        if negative:
            below += np.minimum(values, 0.0)


def funnel_figure(run: RunData, replication: int | None = 0) -> Figure:
    """Funnel plots per team: physicians' readmission rate against index episodes, with
    control limits around their own team's rate (95% and 99.8%), so a point outside means
    performance within the peer group, not the team's case mix.

    See :func:`simulate.report.stats.funnel_limits`. ``replication`` None pools all.
    """
    points = funnel_points(run, replication)
    teams = list(dict.fromkeys(points["team"])) or [""]
    fig, axes = new_figure((max(4.2 * len(teams), 6.0), 3.8), ncols=len(teams))
    colours = colour_map(points["team"])
    top = float(np.nanmax(points["rate"])) if points["rate"].notna().any() else 0.1
    for ax, team in zip(axes, teams, strict=True):
        group = points[points["team"] == team]
        episodes = group["episodes"].to_numpy()
        total = group["episodes"].sum()
        p0 = group["readmissions"].sum() / total if total > 0 else np.nan
        n_max = max(float(episodes.max()) if len(episodes) else 1.0, 1.0) * 1.1
        n = np.linspace(max(1.0, 0.5 * (episodes.min() if len(episodes) else 1.0)), n_max, 200)
        for z, style, label in ((Z95, "--", "95% limits"), (Z998, ":", "99.8% limits")):
            low, high = funnel_limits(p0, n, z)
            ax.plot(n, high, color="black", ls=style, lw=1, label=label, gid="limit")
            ax.plot(n, low, color="black", ls=style, lw=1, gid="limit")
        ax.axhline(p0, color=GREY, lw=1, label=f"team rate {p0:.1%}", gid="centre")
        ax.scatter(group["episodes"], group["rate"], color=colours[team], zorder=3, s=24)
        ax.set_title(str(team), fontsize=10)
        ax.set_xlabel("Index episodes after warm-up", fontsize=8)
        ax.set_ylim(0, max(top, p0 if np.isfinite(p0) else 0) * 1.5 + 0.01)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.legend(fontsize=6, frameon=False, loc="upper right", ncols=3)
    axes[0].set_ylabel("Readmission rate (% of index episodes)", fontsize=8)
    which = "all replications pooled" if replication is None else f"replication {replication + 1}"
    fig.suptitle(f"Readmissions against volume, within each team ({which})", fontsize=11)
    return fig


def quadrant_points(run: RunData) -> pd.DataFrame:
    """Per physician, before and with the policy (trend windows, all replications pooled):
    cost per episode (currency) and QALYs per episode, with the team."""
    from simulate.report.scorecard import trend_windows

    trend = trend_windows(run)
    rows = run.trajectories[run.trajectories["level"] == "physician"]
    out = []
    for unit, group in rows.groupby("unit", sort=False):
        record = {"unit": unit, "team": group["team"].iloc[0]}
        for phase, periods in (("before", trend.before), ("after", trend.after)):
            chosen = group[group["period"].isin(periods)]
            episodes = chosen["episodes"].sum()
            record[f"cost_{phase}"] = chosen["cost"].sum() / episodes if episodes else np.nan
            record[f"qalys_{phase}"] = chosen["qalys"].sum() / episodes if episodes else np.nan
        out.append(record)
    return pd.DataFrame(out)


def value_quadrant_figure(run: RunData) -> Figure:
    """Cost per episode against QALYs per episode per physician, one panel per team (its
    case mix sets its own scale), with an arrow from before the policy to with it; dotted
    lines at the team's medians."""
    points = quadrant_points(run)
    teams = list(dict.fromkeys(points["team"])) or [""]
    fig, axes = new_figure((max(4.2 * len(teams), 6.0), 3.9), ncols=len(teams))
    colours = colour_map(points["team"])
    for ax, team in zip(axes, teams, strict=True):
        group = points[points["team"] == team]
        ax.scatter(
            group["cost_after"],
            group["qalys_after"],
            color=colours[team],
            s=30,
            zorder=3,
            label="with the policy",
            gid="physician",
        )
        ax.scatter(
            group["cost_before"],
            group["qalys_before"],
            color=colours[team],
            s=12,
            alpha=0.35,
            zorder=2,
            label="before",
        )
        for record in group.to_dict("records"):
            ax.annotate(
                "",
                (record["cost_after"], record["qalys_after"]),
                xytext=(record["cost_before"], record["qalys_before"]),
                arrowprops={"arrowstyle": "->", "color": colours[team], "lw": 0.9},
                gid="move",
            )
        ax.axvline(group["cost_after"].median(), color=GREY, ls=":", lw=1)
        ax.axhline(group["qalys_after"].median(), color=GREY, ls=":", lw=1)
        ax.xaxis.set_major_formatter(THOUSANDS)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.set_title(str(team), fontsize=10)
        ax.set_xlabel("Cost per episode (left is cheaper)", fontsize=8)
        ax.legend(fontsize=6, frameon=False, loc="best")
    axes[0].set_ylabel("QALYs gained per episode (up is better)", fontsize=8)
    fig.suptitle("Physicians' value: cost and outcome per episode, within each team", fontsize=11)
    return fig
