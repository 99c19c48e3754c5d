"""Sweep figures (matplotlib, Agg, PNG + SVG, Okabe-Ito colour-blind-safe palette):
Sobol and Morris bar charts with confidence-interval error bars, and one-way plots."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from simulate.accounts.metrics import METRIC_UNITS
from simulate.output.store import atomic_write
from simulate.output.tables import t_interval
from simulate.sweep.design import Design

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")


def new_figure(size: tuple[float, float], ncols: int = 1, sharey: bool = False):
    """A Figure (no pyplot state; constrained layout) and its row of ``ncols`` axes."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    axes = figure.subplots(1, ncols, squeeze=False, sharey=sharey)[0]
    return figure, list(axes)


def _save(figure: Figure, folder: Path, stem: str) -> list[Path]:
    paths = []
    for suffix, extra in (("png", {"dpi": 150}), ("svg", {"metadata": {"Date": None}})):
        paths.append(
            atomic_write(
                folder / f"{stem}.{suffix}",
                lambda tmp, s=suffix, e=extra: figure.savefig(tmp, format=s, **e),
            )
        )
    return paths


def _metric_label(metric: str) -> str:
    """``metric`` over its unit, wrapped to fit an axis."""
    unit = textwrap.fill(METRIC_UNITS.get(metric, ""), 34)
    return f"{metric}\n({unit})" if unit else metric


def sensitivity_figure(rows: pd.DataFrame, metric: str, labels: Mapping[str, str]) -> Figure:
    """Sobol S1/ST bars or Morris mu*/sigma bars of one metric, with CI error bars."""
    sobol = rows["method"].iloc[0] == "sobol"
    key = "ST" if sobol else "mu_star"
    rows = rows.sort_values(key, ascending=True)  # tornado: largest on top
    names = [textwrap.fill(labels.get(p, p), 30) for p in rows["parameter"]]
    y = np.arange(len(rows))
    figure, (axes,) = new_figure((7, 1.6 + 0.55 * len(rows)))
    if sobol:
        bars = (("S1", "first order S1"), ("ST", "total ST"))
        xlabel = "Sobol index (share of the variance of the metric)"
    else:
        bars = (("mu_star", "mu* (mean |elementary effect|)"), ("sigma", "sigma"))
        xlabel = textwrap.fill(
            f"elementary effect on {metric} ({METRIC_UNITS.get(metric, '')}) "
            "over the parameter's range",
            55,
        )
    for k, (column, name) in enumerate(bars):
        conf = rows.get(f"{column}_conf")
        axes.barh(
            y + (k - 0.5) * 0.38,
            rows[column],
            height=0.36,
            xerr=None if conf is None else conf,
            color=OKABE_ITO[k],
            ecolor="#333333",
            capsize=3,
            label=name + (" (95% CI)" if conf is not None else ""),
        )
    axes.set_yticks(y, names)
    axes.set_xlabel(xlabel)
    axes.set_title(f"Sensitivity of {metric}", loc="left")
    axes.axvline(0, color="#666666", linewidth=0.8)
    axes.legend(loc="best", frameon=False, fontsize="small")
    return figure


def sensitivity_figures(
    table: pd.DataFrame, metrics: Sequence[str], labels: Mapping[str, str], folder: Path
) -> list[Path]:
    """Per metric: the sensitivity figure, written as PNG and SVG."""
    written: list[Path] = []
    for metric in metrics:
        rows = table[table["metric"] == metric] if len(table) else table
        if not rows.empty:
            written += _save(
                sensitivity_figure(rows, metric, labels), folder, f"sensitivity_{metric}"
            )
    return written


def oneway_figure(
    design: Design, runs: pd.DataFrame, metric: str, labels: Mapping[str, str]
) -> Figure:
    """One panel per parameter: the metric's mean with 95% t CI at each value.

    Grid: mean over every run at that value (the other parameters averaged over their
    grid); random/LHS: each point's mean against the parameter (scatter).
    """
    names = list(design.names)
    figure, axes = new_figure((4.2 * len(names), 3.8), ncols=len(names), sharey=True)
    for k, (name, ax) in enumerate(zip(names, axes, strict=True)):
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        if design.method == "grid":
            xs, means, lows, highs = [], [], [], []
            for value, group in runs.groupby(name, sort=True):
                mean, _sd, low, high, _n = t_interval(group[[metric]].to_numpy(dtype=float))
                xs.append(value)
                means.append(mean[0])
                lows.append(low[0])
                highs.append(high[0])
            numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
            pos = np.asarray(xs, dtype=float) if numeric else np.arange(len(xs))
            err = np.abs(np.array([np.subtract(means, lows), np.subtract(highs, means)]))
            ax.errorbar(pos, means, yerr=np.nan_to_num(err), marker="o", color=colour, capsize=4)
            if not numeric:
                ax.set_xticks(pos, [str(x) for x in xs])
        else:
            per_point = runs.groupby("point").agg({name: "first", metric: "mean"})
            ax.scatter(per_point[name], per_point[metric], s=14, color=colour, alpha=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.set_xlabel(textwrap.fill(labels.get(name, name), 36))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(
        _metric_label(metric) + (", mean and 95% CI" if design.method == "grid" else "")
    )
    figure.suptitle(f"One-way sensitivity of {metric}", x=0.01, ha="left")
    return figure


def oneway_figures(
    design: Design,
    runs: pd.DataFrame,
    metrics: Sequence[str],
    labels: Mapping[str, str],
    folder: Path,
) -> list[Path]:
    """Per metric: the one-way figure, written as PNG and SVG."""
    if runs.empty:
        return []
    written: list[Path] = []
    for metric in metrics:
        written += _save(oneway_figure(design, runs, metric, labels), folder, f"oneway_{metric}")
    return written
