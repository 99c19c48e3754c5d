"""Figures of the economics: the cost-effectiveness plane with confidence ellipses, the
acceptability curves with their frontier, expected loss curves and EVPPI bars.

Builders take tables (not folders), so a comparison and a PSA draw the same figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulate.report.charts import COMPACT, legend_below, new_figure
from simulate.report.data import ComparisonData
from simulate.report.palette import GREY, colour_map

CHI2_2DF_95 = 5.991464547107979
"""95% quantile of chi-squared with 2 degrees of freedom (the confidence ellipse's size)."""


def confidence_ellipse(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float] | None:
    """(width, height, angle in degrees) of the 95% confidence ellipse of the mean of
    (x, y), from their sample covariance / n (normal approximation); None below 3 points
    or when the points lie on a line."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, dtype=float)[keep], np.asarray(y, dtype=float)[keep]
    if len(x) < 3:
        return None
    cov = np.cov(x, y) / len(x)
    values, vectors = np.linalg.eigh(cov)
    if not np.all(values > 0):
        return None
    width, height = 2.0 * np.sqrt(CHI2_2DF_95 * values[::-1])
    angle = float(np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1])))
    return float(width), float(height), angle


def ce_plane_figure(comparison: ComparisonData) -> Figure:
    """The comparison's cost-effectiveness plane (one point per replication)."""
    return ce_plane(
        comparison.ce_replications,
        list(comparison.variants),
        comparison.reference,
        comparison.thresholds,
    )


def ce_plane(
    ce: pd.DataFrame,
    names: list[str],
    reference: str,
    thresholds: list[float],
    points: str = "replication",
) -> Figure:
    """Incremental cost against incremental QALYs: one small point per ``points`` (rows of
    ``ce``: variant, incremental_qalys, incremental_cost), each scheme's mean with its 95%
    confidence ellipse, and the threshold lines."""
    fig, (ax,) = new_figure((6.4, 4.6))
    variants = [v for v in names if v != reference]
    if not ce.empty:
        variants = [v for v in dict.fromkeys(ce["variant"]) if v != reference]
    colours = colour_map([*names, *variants])
    for variant in variants:
        rows = ce[ce["variant"] == variant] if not ce.empty else ce
        if not rows.empty:
            _scheme_points(ax, rows, str(variant), colours[variant])
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    x_extent = _extent(ce, "incremental_qalys")
    xs = np.array([-x_extent, x_extent])
    for j, threshold in enumerate(thresholds):
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
    if not ce.empty and ce["incremental_cost"].notna().any():
        y_extent = _extent(ce, "incremental_cost")
        ax.set_ylim(-y_extent, y_extent)
    ax.yaxis.set_major_formatter(COMPACT)
    ax.set_title(f"Cost-effectiveness plane against {reference}")
    ax.set_xlabel("Incremental QALYs (QALYs per period)")
    ax.set_ylabel("Incremental cost (currency per period)")
    ax.legend(fontsize=7, frameon=False, loc="best", title=f"dots: {points}s", title_fontsize=7)
    return fig


def _extent(ce: pd.DataFrame, column: str) -> float:
    """Half-width of an axis showing every value of ``column`` with 20% to spare (1 when
    there is none)."""
    if ce.empty or not ce[column].notna().any():
        return 1.0
    return float(np.nanmax(np.abs(ce[column]))) * 1.2 or 1.0


def _scheme_points(ax, rows: pd.DataFrame, variant: str, colour) -> None:
    """One scheme on the plane: its points, its mean, and the mean's 95% ellipse."""
    from matplotlib.patches import Ellipse

    x, y = rows["incremental_qalys"].to_numpy(), rows["incremental_cost"].to_numpy()
    centre = (np.nanmean(x), np.nanmean(y))
    ax.scatter(x, y, color=colour, s=10, alpha=0.45, lw=0)
    ax.scatter(
        *centre, color=colour, s=60, edgecolor="black", lw=0.6, zorder=4, label=variant, gid="mean"
    )
    shape = confidence_ellipse(x, y)
    if shape is not None:
        ellipse = Ellipse(centre, *shape[:2], angle=shape[2], fill=False, color=colour, lw=1.2)
        ellipse.set_gid("ellipse")
        ax.add_patch(ellipse)


def ceac_figure(comparison: ComparisonData) -> Figure:
    """The comparison's acceptability curves and frontier."""
    return ceac_chart(comparison.ceac, list(comparison.variants), comparison.thresholds)


def ceac_chart(
    ceac: pd.DataFrame, names: list[str], thresholds: list[float], unit: str = "replications"
) -> Figure:
    """Acceptability curves (probability of the highest NMB of all schemes) by threshold,
    with the acceptability frontier (the scheme of highest expected NMB) drawn thick."""
    fig, (ax,) = new_figure((6.4, 4.2))
    if not ceac.empty:
        colours = colour_map([*names, *ceac["variant"].astype(str)])
        for variant, rows in ceac.groupby("variant", sort=False):
            rows = rows.sort_values("threshold")
            ax.plot(
                rows["threshold"],
                rows["probability"],
                color=colours[str(variant)],
                lw=1.4,
                label=str(variant),
                gid="ceac",
            )
        if "optimal" in ceac:
            best = ceac[ceac["optimal"].astype(bool)].sort_values("threshold")
            ax.plot(
                best["threshold"],
                best["probability"],
                color=GREY,
                lw=5,
                alpha=0.45,
                zorder=1,
                label="frontier (highest expected NMB)",
                gid="frontier",
            )
        ax.set_xlim(0, float(ceac["threshold"].max()))
    ax.xaxis.set_major_formatter(COMPACT)
    for t in thresholds:
        ax.axvline(t, color=GREY, ls=":", lw=1, gid="asked")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Which scheme is best, by willingness to pay")
    ax.set_xlabel("Willingness to pay (currency per QALY)")
    ax.set_ylabel(f"Probability best of all (share of {unit})")
    ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


def expected_loss_chart(losses: pd.DataFrame, names: list[str], thresholds: list[float]) -> Figure:
    """Expected loss of choosing each scheme, by willingness to pay (rows of ``losses``:
    threshold, variant, expected_loss); the lowest curve is the best choice and its
    height the EVPI (Alarid-Escudero et al. 2019)."""
    fig, (ax,) = new_figure((6.4, 4.2))
    colours = colour_map([*names, *losses["variant"].astype(str)])
    for variant, rows in losses.groupby("variant", sort=False):
        rows = rows.sort_values("threshold")
        ax.plot(
            rows["threshold"],
            rows["expected_loss"],
            color=colours[str(variant)],
            lw=1.4,
            label=str(variant),
            gid="loss",
        )
    if not losses.empty:
        lowest = losses.groupby("threshold")["expected_loss"].min()
        ax.plot(
            lowest.index,
            lowest.to_numpy(),
            color=GREY,
            lw=5,
            alpha=0.45,
            zorder=1,
            label="EVPI (the lowest loss)",
            gid="evpi",
        )
        ax.set_xlim(0, float(losses["threshold"].max()))
    for t in thresholds:
        ax.axvline(t, color=GREY, ls=":", lw=1)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(COMPACT)
    ax.yaxis.set_major_formatter(COMPACT)
    ax.set_title("Expected loss of each choice, by willingness to pay")
    ax.set_xlabel("Willingness to pay (currency per QALY)")
    ax.set_ylabel("Expected loss (currency per period)")
    legend_below(fig, [ax])
    return fig


def evppi_chart(evppi: pd.DataFrame) -> Figure:
    """EVPPI per parameter group with ±1.96 standard errors, largest on top, and the EVPI
    as a line (rows of ``evppi``: parameters, evppi, evppi_se, evpi, threshold)."""
    rows = evppi.sort_values("evppi", ascending=True)
    fig, (ax,) = new_figure((6.4, 1.6 + 0.45 * max(len(rows), 1)))
    y = np.arange(len(rows))
    ax.barh(
        y,
        rows["evppi"],
        xerr=1.96 * rows["evppi_se"],
        color=colour_map(["evppi"])["evppi"],
        ecolor="#333333",
        capsize=3,
        gid="evppi",
    )
    labels = [str(p) if len(str(p)) <= 40 else str(p)[:39] + "…" for p in rows["parameters"]]
    ax.set_yticks(y, labels, fontsize=7)
    if len(rows):
        ax.axvline(float(rows["evpi"].iloc[0]), color=GREY, ls="--", lw=1, label="EVPI")
        threshold = float(rows["threshold"].iloc[0])
        ax.set_title(f"Value of learning each parameter (at {threshold:,.0f} per QALY)")
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.xaxis.set_major_formatter(COMPACT)
    ax.set_xlabel("EVPPI (currency per period), 95% interval")
    return fig


def tornado_chart(tornado: pd.DataFrame) -> Figure:
    """One-way sensitivity of the leading scheme (highest incremental NMB at the base)
    against the reference: per parameter a bar from the base to the incremental NMB at its
    2.5th percentile and one to its 97.5th, largest swing on top (rows of ``tornado.csv``)."""
    lead = tornado.loc[tornado["incremental_nmb_base"].idxmax(), "variant"]
    rows = tornado[tornado["variant"] == lead].sort_values("swing", ascending=True)
    fig, (ax,) = new_figure((6.4, 1.8 + 0.45 * max(len(rows), 1)))
    y = np.arange(len(rows))
    base = float(rows["incremental_nmb_base"].iloc[0])
    colours = colour_map(["low", "high"])
    for level in ("low", "high"):
        ax.barh(
            y,
            rows[f"incremental_nmb_{level}"] - base,
            left=base,
            color=colours[level],
            label=f"parameter at its {'2.5th' if level == 'low' else '97.5th'} percentile",
            gid=f"tornado_{level}",
        )
    labels = [str(p) if len(str(p)) <= 40 else str(p)[:39] + "…" for p in rows["parameter"]]
    ax.set_yticks(y, labels, fontsize=7)
    ax.axvline(base, color=GREY, lw=1)
    ax.axvline(0.0, color="#333333", lw=0.8, ls=":")
    threshold = float(rows["threshold"].iloc[0])
    ax.set_title(f"{lead} vs {rows['reference'].iloc[0]}")
    ax.xaxis.set_major_formatter(COMPACT)
    ax.set_xlabel(f"Incremental NMB at {threshold:,.0f} per QALY (currency per period)")
    legend_below(fig, [ax])
    return fig
