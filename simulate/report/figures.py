"""The report's figures: one function per figure, each returning a matplotlib Figure.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, Agg rendering), so
they can be inspected in tests and saved by :func:`save_figure`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulate.accounts.catalogue import METRIC_CATALOGUE, key_metrics
from simulate.accounts.metrics import METRIC_UNITS
from simulate.output.store import atomic_write
from simulate.output.tables import t_interval
from simulate.report.data import ComparisonData, RunData
from simulate.report.describe import policy_windows
from simulate.report.palette import (
    COMPONENT_COLOURS,
    DPI,
    FIGSIZE,
    GREY,
    POLICY,
    colour,
    colour_map,
)
from simulate.report.stats import (
    BASE_COMPONENTS,
    Z95,
    Z998,
    funnel_limits,
    funnel_points,
    income_components,
)

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
COMPONENT_LABELS = {
    "payment_fee_for_service": "fee-for-service",
    "payment_capitation": "capitation",
    "payment_salary": "salary",
    "payment_bundled": "bundled",
    "bonuses": "incentive bonuses",
    "penalties": "incentive penalties",
}


def period_label(run: RunData) -> str:
    """x-axis label for periods."""
    days = float(run.scenario.get("period_days", 30.4375))
    return f"Period (0-based; 1 period = {days:.3g} days)"


def new_figure(size: tuple[float, float] = FIGSIZE, ncols: int = 1) -> tuple[Figure, list]:
    """A figure with ``ncols`` axes side by side."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    for ax in axes:
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, list(axes)


def mark_policies(ax, runs: Mapping[str, RunData]) -> None:
    """Warm-up shaded grey; each policy start (solid) and end (dashed) a vertical line.

    Lines are at the first and last period in force; they carry gid ``policy-start`` and
    ``policy-end`` so tests can find them.
    """
    first = next(iter(runs.values()))
    if first.warmup > 0:
        ax.axvspan(-0.5, first.warmup - 0.5, color=GREY, alpha=0.15, lw=0, label="warm-up")
    starts: dict[int, list[str]] = {}
    ends: dict[int, list[str]] = {}
    for run in runs.values():
        for window in policy_windows(run.scenario):
            if window.start > 0:
                starts.setdefault(window.start, []).append(window.label)
            if window.end is not None and window.end < run.horizon - 1:
                ends.setdefault(int(window.end), []).append(window.label)
    for x, labels in starts.items():
        ax.axvline(x, color=POLICY, lw=1.2, gid="policy-start")
        ax.annotate(
            "start: " + ", ".join(dict.fromkeys(labels)),
            (x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            fontsize=7,
            color=POLICY,
            clip_on=True,
            in_layout=False,
        )
    for x, labels in ends.items():
        ax.axvline(x, color=POLICY, lw=1.2, ls="--", gid="policy-end")
        ax.annotate(
            "end: " + ", ".join(dict.fromkeys(labels)),
            (x, 0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=7,
            color=POLICY,
            clip_on=True,
            in_layout=False,
        )


def metric_band(trajectories: pd.DataFrame, metric: str, level: str = "organisation"):
    """Per period: mean across replications and t-based 95% CI (NaN with one replication)."""
    rows = trajectories[trajectories["level"] == level]
    if level == "organisation":
        rows = rows[rows["unit"] == "organisation"]
    wide = rows.pivot_table(index="replication", columns="period", values=metric, dropna=False)
    mean, _sd, low, high, _n = t_interval(wide.to_numpy(dtype=float))
    return wide.columns.to_numpy(), mean, low, high


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
    ax.set_title(f"{TITLES.get(metric, metric)}: organisation, mean and 95% CI ({reps} reps)")
    ax.set_xlabel(period_label(first))
    ax.set_ylabel(f"{metric} ({AXIS_UNITS.get(metric, METRIC_UNITS.get(metric, ''))})", fontsize=8)
    ax.legend(fontsize=7, loc="best", frameon=False)
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
        ax.fill_between(q.index, q[0.1], q[0.9], color=colour(k), alpha=0.25, lw=0, label="10-90%")
        ax.plot(q.index, q[0.5], color=colour(k), lw=1.8, label="median", gid="median")
        mark_policies(ax, {run.name: run})
        ax.set_title(f"{TITLES[metric]} across physicians", fontsize=10)
        ax.set_xlabel(period_label(run), fontsize=8)
        ax.set_ylabel(STYLE_LABELS[metric], fontsize=8)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle("Distribution of practice styles over time", fontsize=11)
    return fig


def income_figure(run: RunData) -> Figure:
    """Stacked bars of each physician's income by component (penalties below zero)."""
    table = income_components(run)
    fig, (ax,) = new_figure((max(6.0, 0.45 * len(table) + 2.5), 3.8))
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for column in [*BASE_COMPONENTS, "bonuses"]:
        if column in table and (table[column] != 0).any():
            values = table[column].to_numpy()
            ax.bar(
                x,
                values,
                bottom=bottom,
                color=COMPONENT_COLOURS[column],
                label=COMPONENT_LABELS[column],
            )
            bottom += values
    if "penalties" in table and (table["penalties"] != 0).any():
        ax.bar(
            x,
            table["penalties"],
            color=COMPONENT_COLOURS["penalties"],
            hatch="//",
            label=COMPONENT_LABELS["penalties"],
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, table.index, rotation=60, ha="right", fontsize=7)
    ax.set_title("Physician income by component (mean per period after warm-up)")
    ax.set_xlabel("Physician")
    ax.set_ylabel("Income (currency per period)")
    ax.legend(fontsize=7, frameon=False, ncols=3)
    return fig


def funnel_figure(run: RunData, replication: int | None = 0) -> Figure:
    """Funnel plot: physicians' readmission rate against index episodes (post-warm-up).

    Control limits around the organisation rate at 95% and 99.8% (see
    :func:`simulate.report.stats.funnel_limits`). ``replication`` None pools all.
    """
    points = funnel_points(run, replication)
    fig, (ax,) = new_figure((7.0, 4.0))
    episodes, rates = points["episodes"].to_numpy(), points["rate"].to_numpy()
    total = points["episodes"].sum()
    p0 = points["readmissions"].sum() / total if total > 0 else np.nan
    n_max = max(float(episodes.max()) if len(episodes) else 1.0, 1.0) * 1.1
    n = np.linspace(max(1.0, 0.5 * (episodes.min() if len(episodes) else 1.0)), n_max, 200)
    for z, style, label in ((Z95, "--", "95% limits"), (Z998, ":", "99.8% limits")):
        low, high = funnel_limits(p0, n, z)
        ax.plot(n, high, color="black", ls=style, lw=1, label=label, gid="limit")
        ax.plot(n, low, color="black", ls=style, lw=1, gid="limit")
    ax.axhline(p0, color=GREY, lw=1, label=f"organisation {p0:.3f}", gid="centre")
    colours = colour_map(points["team"])
    for team, group in points.groupby("team", sort=False):
        ax.scatter(
            group["episodes"], group["rate"], color=colours[team], label=str(team), zorder=3, s=24
        )
    which = "all replications pooled" if replication is None else f"replication {replication}"
    ax.set_title(f"Readmission rate against volume ({which}, after warm-up)")
    ax.set_xlabel("Index episodes (count, post-warm-up window)")
    ax.set_ylabel("Readmission rate (share of index episodes)")
    ax.set_ylim(bottom=0)
    if len(rates):
        ax.set_ylim(top=max(np.nanmax(rates), p0 if np.isfinite(p0) else 0) * 1.5 + 0.01)
    ax.legend(fontsize=7, frameon=False)
    return fig


def ce_plane_figure(comparison: ComparisonData) -> Figure:
    """Incremental cost against incremental QALYs per replication, each variant vs reference."""
    fig, (ax,) = new_figure((6.0, 4.5))
    ce = comparison.ce_replications
    variants = [v for v in comparison.variants if v != comparison.reference]
    if not ce.empty:
        variants = [v for v in dict.fromkeys(ce["variant"]) if v != comparison.reference]
    colours = colour_map([*comparison.variants, *variants])
    for variant in variants:
        rows = ce[ce["variant"] == variant] if not ce.empty else ce
        if rows.empty:
            continue
        ax.scatter(
            rows["incremental_qalys"],
            rows["incremental_cost"],
            color=colours[variant],
            s=18,
            alpha=0.8,
            label=str(variant),
        )
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    x_extent = 1.0
    if not ce.empty and ce["incremental_qalys"].notna().any():
        x_extent = float(np.nanmax(np.abs(ce["incremental_qalys"]))) * 1.2 or 1.0
    xs = np.array([-x_extent, x_extent])
    for j, threshold in enumerate(comparison.thresholds):
        ax.plot(
            xs,
            threshold * xs,
            color=GREY,
            ls=("--", ":", "-.")[j % 3],
            lw=1,
            label=f"{threshold:,.0f} per QALY",
            gid="threshold",
        )
    ax.set_xlim(-x_extent, x_extent)
    ax.set_title(f"Cost-effectiveness plane (vs {comparison.reference}, per replication)")
    ax.set_xlabel("Incremental QALYs (QALYs)")
    ax.set_ylabel("Incremental cost (currency)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def ceac_figure(comparison: ComparisonData) -> Figure:
    """Cost-effectiveness acceptability curves: probability cost-effective by threshold."""
    fig, (ax,) = new_figure((6.0, 4.0))
    ceac = comparison.ceac
    if not ceac.empty:
        colours = colour_map([*comparison.variants, *ceac["variant"].astype(str)])
        for variant, rows in ceac.groupby("variant", sort=False):
            rows = rows.sort_values("threshold")
            ax.plot(
                rows["threshold"],
                rows["probability"],
                color=colours[str(variant)],
                marker="o" if len(rows) <= 30 else None,
                ms=3,
                label=str(variant),
                gid="ceac",
            )
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Cost-effectiveness acceptability curve")
    ax.set_xlabel("Willingness to pay (currency per QALY)")
    ax.set_ylabel("Probability cost-effective (share of replications)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def save_figure(fig: Figure, directory: Path, stem: str) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically; returns the paths."""
    paths = []
    for fmt in ("png", "svg"):
        path = directory / f"{stem}.{fmt}"
        atomic_write(path, lambda tmp, fmt=fmt: fig.savefig(tmp, format=fmt, dpi=DPI))
        paths.append(path)
    return paths
