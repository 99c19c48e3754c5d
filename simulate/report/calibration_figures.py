"""Figures of a calibration: each target against the model before and after, the
convergence trace, and pairwise plots of the accepted set.

Builders take tables (``fit``, ``trials``, ``accepted``), not folders.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulate.report.charts import legend_below
from simulate.report.palette import BETTER, DPI, GREY, WORSE, colour_map

STAGE_ORDER = ("defaults", "screening", "optimiser", "prior")


def _figure(rows: int, cols: int, size: tuple[float, float]) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = np.asarray(fig.subplots(rows, cols, squeeze=False))
    for ax in axes.flat:
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def fit_chart(fit: pd.DataFrame) -> Figure:
    """One row per target: the published value with its 95% CI, and the model before
    (the worlds as written) and after (the best fit) with their 95% CIs."""
    n = len(fit)
    fig, axes = _figure(n, 1, (7.0, 0.5 + 1.1 * n))
    marks = (
        ("value", "target (95% CI)", "black", "o"),
        ("before", "model before", GREY, "s"),
        ("after", "model after (best fit)", BETTER, "D"),
    )
    for ax, row in zip(axes[:, 0], fit.to_dict("records"), strict=True):
        for y, (key, label, colour, marker) in enumerate(marks):
            low, high = row[f"{key}_low"], row[f"{key}_high"]
            ax.errorbar(
                [row[key]],
                [-y],
                xerr=[[row[key] - low], [high - row[key]]],
                fmt=marker,
                color=colour,
                capsize=3,
                label=label,
            )
        ax.set_yticks([])
        ax.set_ylim(-2.6, 0.6)
        ax.set_title(f"{row['label']} ({row['metric']}, {row['world']})", fontsize=8, loc="left")
    legend_below(fig, list(axes[:, 0]))
    return fig


def convergence_chart(trials: pd.DataFrame) -> Figure:
    """Distance of every evaluation by stage, and the best so far."""
    fig, axes = _figure(1, 1, (7.0, 3.6))
    ax = axes[0, 0]
    colours = colour_map(STAGE_ORDER)
    finite = trials[np.isfinite(trials["distance"])]
    for stage in STAGE_ORDER:
        rows = finite[finite["stage"] == stage]
        if not rows.empty:
            ax.scatter(
                rows["evaluation"], rows["distance"], s=12, color=colours[stage], label=stage
            )
    best = trials["distance"].where(np.isfinite(trials["distance"])).cummin()
    ax.step(trials["evaluation"], best, where="post", color="black", lw=1.2, label="best so far")
    if not finite.empty:
        low, high = finite["distance"].min(), finite["distance"].quantile(0.9)
        pad = 0.05 * max(high - low, 1.0)
        ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("evaluation")
    ax.set_ylabel("distance (-2 log-likelihood)")
    legend_below(fig, [ax])
    return fig


def pairs_chart(
    prior: pd.DataFrame,
    accepted: pd.DataFrame,
    paths: Sequence[str],
    labels: Sequence[str],
    best: Sequence[float],
) -> Figure:
    """Pairwise scatter of the prior draws (grey) and the accepted set (colour), with
    the best fit (cross); the accepted set's histogram on the diagonal."""
    k = len(paths)
    fig, axes = _figure(k, k, (2.2 * k + 1.5, 2.2 * k + 0.8))
    for i, row_path in enumerate(paths):
        for j, col_path in enumerate(paths):
            ax = axes[i, j]
            if i == j:
                ax.hist(accepted[col_path], bins=12, color=BETTER, alpha=0.8, label="accepted")
                ax.axvline(best[j], color=WORSE, lw=1.2, label="best fit")
            else:
                ax.scatter(prior[col_path], prior[row_path], s=6, color=GREY, label="prior draws")
                ax.scatter(
                    accepted[col_path], accepted[row_path], s=10, color=BETTER, label="accepted"
                )
                ax.scatter([best[j]], [best[i]], marker="x", s=40, color=WORSE, label="best fit")
            if i == k - 1:
                ax.set_xlabel(labels[j], fontsize=7)
            if j == 0:
                ax.set_ylabel(labels[i] if i else "count", fontsize=7)
            ax.tick_params(labelsize=6)
    legend_below(fig, list(axes.flat))
    return fig
