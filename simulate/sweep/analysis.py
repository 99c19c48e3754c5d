"""Tables from the runs: the tidy runs table, per-point means with 95% t intervals, and
Sobol / Morris sensitivity indices (SALib) on the per-point means."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from simulate.output.tables import t_interval
from simulate.sweep.design import Design

CONFIDENCE = 0.95
RESAMPLES = 100
"""Bootstrap resamples for the confidence intervals of the indices."""

SOBOL_MIN_SAMPLES = 512
"""Sobol: fewer base samples N than this and the indices are flagged as unstable."""
SOBOL_MAX_HALF_WIDTH = 0.1
"""Sobol: a 95% CI of S1 or ST wider than +/- this (on the 0-1 scale) is flagged."""
MORRIS_MIN_TRAJECTORIES = 10
"""Morris: fewer trajectories r than this and mu* is flagged as unstable."""
INTERVALS = {"S1": "S1_conf", "ST": "ST_conf", "mu_star": "mu_star_conf"}
"""Index -> SALib's half-width of its bootstrap 95% CI (``*_conf``)."""


def runs_table(design: Design, stored: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """One row per point x replication: point, replication, parameter values, metrics."""
    params = pd.DataFrame(list(design.values), columns=list(design.names))
    params.insert(0, "point", np.arange(design.n_points))
    table = stored.merge(params, on="point", how="left", validate="m:1")
    return table[["point", "replication", *design.names, *metrics]]


def points_table(design: Design, runs: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per point and metric: mean, sd and t-based 95% CI over the point's replications."""
    frames = []
    for point, group in runs.groupby("point", sort=True):
        values = group[list(metrics)].to_numpy(dtype=float)
        mean, sd, low, high, n = t_interval(values, CONFIDENCE)
        frame = pd.DataFrame(
            {
                "point": point,
                **{
                    name: [design.values[int(point)][i]] * len(metrics)
                    for i, name in enumerate(design.names)
                },
                "metric": list(metrics),
                "mean": mean,
                "sd": sd,
                "ci_low": low,
                "ci_high": high,
                "replications": n,
            }
        )
        frames.append(frame)
    if not frames:
        columns = ["point", *design.names, "metric", "mean", "sd", "ci_low", "ci_high"]
        return pd.DataFrame(columns=[*columns, "replications"])
    return pd.concat(frames, ignore_index=True)


def point_means(design: Design, runs: pd.DataFrame, metric: str) -> np.ndarray:
    """Mean of ``metric`` per point (NaN for a point without runs), in point order."""
    means = runs.groupby("point")[metric].mean()
    return means.reindex(range(design.n_points)).to_numpy(dtype=float)


def sensitivity(
    design: Design,
    runs: pd.DataFrame,
    metrics: Sequence[str],
    *,
    second_order: bool = False,
    levels: int = 4,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Sobol (S1, ST with *_conf) or Morris (mu, mu_star, mu_star_conf, sigma) indices.

    Computed on each point's mean over its replications. Returns the table and, per
    metric left out, why (a point without runs, or a metric undefined at some point).
    """
    skipped: dict[str, str] = {}
    frames = []
    for metric in metrics:
        y = point_means(design, runs, metric)
        if np.isnan(y).any():
            missing = int(np.isnan(y).sum())
            skipped[metric] = f"{missing} of {len(y)} points have no value"
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frames.append(_indices(design, y, metric, second_order, levels, seed))
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), skipped


def _indices(
    design: Design, y: np.ndarray, metric: str, second_order: bool, levels: int, seed: int
) -> pd.DataFrame:
    assert design.problem is not None and design.matrix is not None
    names = list(design.names)
    if design.method == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(
            design.problem,
            y,
            calc_second_order=second_order,
            num_resamples=RESAMPLES,
            conf_level=CONFIDENCE,
            seed=seed,
        )
        keys = ("S1", "S1_conf", "ST", "ST_conf")
    else:
        from SALib.analyze import morris

        result = morris.analyze(
            design.problem,
            design.matrix,
            y,
            num_resamples=RESAMPLES,
            conf_level=CONFIDENCE,
            num_levels=levels,
            seed=seed,
        )
        keys = ("mu", "mu_star", "mu_star_conf", "sigma")
    return with_intervals(
        pd.DataFrame(
            {
                "method": design.method,
                "metric": metric,
                "parameter": names,
                **{key: np.asarray(result[key], dtype=float) for key in keys},
            }
        )
    )


def with_intervals(indices: pd.DataFrame) -> pd.DataFrame:
    """The table with ``<index>_low`` and ``<index>_high`` after each ``<index>_conf``:
    the index -/+ SALib's bootstrap half-width (normal approximation, 95%)."""
    table = indices.copy()
    for key, conf in INTERVALS.items():
        if key in table.columns and conf in table.columns:
            at = table.columns.get_loc(conf) + 1
            table.insert(at, f"{key}_low", table[key] - table[conf])
            table.insert(at + 1, f"{key}_high", table[key] + table[conf])
    return table


def stability_warnings(method: str, samples: int, indices: pd.DataFrame | None) -> list[str]:
    """Warnings that a Sobol or Morris sample is too small for stable indices (empty when
    not): ValueSim's rule, in docs/sweeps.md.

    Sobol: base sample ``samples`` (N) below :data:`SOBOL_MIN_SAMPLES`, or a 95% CI of S1
    or ST wider than +/- :data:`SOBOL_MAX_HALF_WIDTH`. Morris: trajectories ``samples``
    (r) below :data:`MORRIS_MIN_TRAJECTORIES`. ``indices`` may be None (before a run).
    """
    if method == "sobol":
        reasons = []
        if samples < SOBOL_MIN_SAMPLES:
            reasons.append(f"the base sample is N = {samples} (at least {SOBOL_MIN_SAMPLES})")
        if indices is not None and len(indices):
            conf = indices[["S1_conf", "ST_conf"]].max(axis=1, skipna=True)
            if conf.notna().any() and conf.max() > SOBOL_MAX_HALF_WIDTH:
                row = indices.loc[conf.idxmax()]
                reasons.append(
                    f"95% CIs of the indices reach +/- {conf.max():.2f} ({row['metric']}, "
                    f"{row['parameter']}; at most +/- {SOBOL_MAX_HALF_WIDTH:g})"
                )
            outside = indices[["S1", "ST"]].to_numpy(dtype=float)
            outside = outside[np.isfinite(outside)]
            if outside.size and (outside.min() < -0.05 or outside.max() > 1.05):
                reasons.append(
                    f"indices fall outside 0-1 ({outside.min():.2f} to {outside.max():.2f})"
                )
        if not reasons:
            return []
        return [
            f"Sobol indices unstable: {'; '.join(reasons)}. Read them only with their 95% "
            "CIs (sensitivity.csv, S1_low-S1_high, ST_low-ST_high); raise sweep.samples "
            f"to {SOBOL_MIN_SAMPLES} or more for stable indices (docs/sweeps.md)"
        ]
    if method == "morris" and samples < MORRIS_MIN_TRAJECTORIES:
        return [
            f"Morris indices unstable: r = {samples} trajectories (at least "
            f"{MORRIS_MIN_TRAJECTORIES}), so mu* rests on {samples} elementary effects per "
            "parameter and its bootstrap CI is unreliable; read mu* only with its 95% CI "
            "(sensitivity.csv, mu_star_low-mu_star_high) and raise sweep.samples "
            f"to {MORRIS_MIN_TRAJECTORIES} or more (docs/sweeps.md)"
        ]
    return []
