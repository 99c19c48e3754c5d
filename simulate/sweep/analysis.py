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
    return pd.DataFrame(
        {
            "method": design.method,
            "metric": metric,
            "parameter": names,
            **{key: np.asarray(result[key], dtype=float) for key in keys},
        }
    )
