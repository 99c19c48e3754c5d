"""Priors truncated to a parameter's bounds, and draws from them.

A draw takes a uniform ``u`` in (0, 1) to the prior's quantile inside the bounds:
``x = F^-1(F(low) + u (F(high) - F(low)))`` with ``F`` the prior's CDF, so a Latin
hypercube in ``u`` stays stratified in each parameter's prior (no draw is rejected).
Without a prior, a parameter is uniform on its bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from simulate.calibration.spec import CalibrationParameter


def bounded_ppf(parameter: CalibrationParameter, u: np.ndarray) -> np.ndarray:
    """Values at probabilities ``u`` of the prior truncated to [low, high]."""
    u = np.asarray(u, dtype=float)
    frozen = (
        parameter.prior.frozen()
        if parameter.prior is not None
        else stats.uniform(parameter.low, parameter.high - parameter.low)
    )
    lower, upper = frozen.cdf(parameter.low), frozen.cdf(parameter.high)
    values = frozen.ppf(lower + u * (upper - lower))
    return np.clip(values, parameter.low, parameter.high)


def prior_draws(
    parameters: Sequence[CalibrationParameter], sizes: Sequence[int], seed: int
) -> list[np.ndarray]:
    """[draw, parameter] values for each of ``sizes``: successive Latin hypercubes of one
    seeded engine (the screening, then the further prior draws), each in the priors."""
    from scipy.stats import qmc

    engine = qmc.LatinHypercube(d=len(parameters), seed=seed)
    tiny = np.finfo(float).eps
    out = []
    for n in sizes:
        u = np.clip(engine.random(n), tiny, 1 - tiny) if n else np.empty((0, len(parameters)))
        out.append(
            np.column_stack([bounded_ppf(p, u[:, j]) for j, p in enumerate(parameters)]) if n else u
        )
    return out


__all__ = ["bounded_ppf", "prior_draws"]
