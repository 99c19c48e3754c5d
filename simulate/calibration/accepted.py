"""The accepted set: rejection ABC on the prior draws (Pritchard et al. 1999).

Every prior draw (screening and further draws: Latin hypercube samples of the truncated
priors) whose distance is within the tolerance of the best evaluation's is accepted,
each with equal weight. With the Gaussian log-likelihood as the distance, ``D - D_best``
is a likelihood-ratio deviance, and the default tolerance, the chi-square 95% quantile
with one degree of freedom per parameter, keeps the draws inside the approximate 95%
likelihood region (Wilks). The optimiser's trials set the best fit but are not
accepted: they are not draws from the prior, and taking them would crowd the set around
the optimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from simulate.calibration.evaluations import Evaluation

PRIOR_STAGES = ("screening", "prior")
"""Stages whose evaluations are draws from the priors."""


def default_tolerance(n_parameters: int, level: float = 0.95) -> float:
    """The chi-square ``level`` quantile with ``n_parameters`` degrees of freedom."""
    return float(stats.chi2.ppf(level, n_parameters))


def best_of(evaluations: Sequence[Evaluation]) -> Evaluation | None:
    """The evaluation of smallest finite distance (the earliest on ties), or None."""
    finite = [e for e in evaluations if math.isfinite(e.distance)]
    return min(finite, key=lambda e: (e.distance, e.index)) if finite else None


def accept(evaluations: Sequence[Evaluation], tolerance: float) -> list[Evaluation]:
    """The prior draws within ``tolerance`` of the best distance, in evaluation order."""
    best = best_of(evaluations)
    if best is None:
        return []
    return [
        e
        for e in evaluations
        if e.stage in PRIOR_STAGES and e.distance <= best.distance + tolerance
    ]


def accepted_table(accepted: Sequence[Evaluation], paths: Sequence[str]) -> pd.DataFrame:
    """``set``, ``weight`` (equal, summing to 1), then one column per dotted path: the
    format probabilistic sensitivity analysis reads as a joint distribution."""
    n = len(accepted)
    frame = (
        pd.DataFrame([e.values for e in accepted], columns=list(paths), dtype=float)
        if n
        else pd.DataFrame(columns=list(paths), dtype=float)
    )
    frame.insert(0, "weight", np.full(n, 1.0 / n) if n else np.empty(0))
    frame.insert(0, "set", np.arange(n, dtype=int))
    return frame


def ranges(table: pd.DataFrame, paths: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Per path: weighted mean and the central ``level`` range of the accepted set."""
    rows = []
    for path in paths:
        x, w = table[path].to_numpy(float), table["weight"].to_numpy(float)
        if not len(x):
            rows.append({"path": path, "mean": math.nan, "low": math.nan, "high": math.nan})
            continue
        order = np.argsort(x)
        cumulative = np.cumsum(w[order]) / w.sum()
        tail, tiny = (1 - level) / 2, 1e-12  # the smallest x with F(x) >= p (rounding aside)
        low = x[order][np.searchsorted(cumulative, tail - tiny)]
        high = x[order][min(np.searchsorted(cumulative, 1 - tail - tiny), len(x) - 1)]
        rows.append(
            {"path": path, "mean": float(np.average(x, weights=w)), "low": low, "high": high}
        )
    return pd.DataFrame(rows)
