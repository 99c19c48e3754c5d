"""The distance between the model and the targets: minus twice a Gaussian log-likelihood.

Each target ``i`` has a published value ``y_i`` with standard error ``s_i``; the model
gives the mean ``m_i`` of its replications with simulation noise ``v_i`` (the variance of
that mean: the replications' sample variance / their number). With weights ``w_i``:

    D = -2 log L = sum_i w_i [ (y_i - m_i)^2 / (s_i^2 + v_i) + log(2 pi (s_i^2 + v_i)) ]

so a target counts by how many of its combined standard errors the model misses it, and
noisy evaluations are not taken for exact (Kennedy & O'Hagan 2001 treat model and data
error alike). Differences of ``D`` are likelihood ratios: ``D - D_best`` is the deviance
used for the accepted set's tolerance.
"""

from __future__ import annotations

import math

import numpy as np


def log_likelihood(
    observed: np.ndarray,
    se: np.ndarray,
    model: np.ndarray,
    noise: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """Weighted Gaussian log-likelihood of the targets given the model (-inf when a
    model value is missing); arrays are per target, ``noise`` a variance."""
    y, s, m, v = (np.asarray(a, dtype=float) for a in (observed, se, model, noise))
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    if not np.all(np.isfinite(m)):
        return -math.inf
    variance = s**2 + np.where(np.isfinite(v), v, 0.0)
    terms = (y - m) ** 2 / variance + np.log(2 * math.pi * variance)
    return float(-0.5 * np.sum(w * terms))


def distance(
    observed: np.ndarray,
    se: np.ndarray,
    model: np.ndarray,
    noise: np.ndarray,
    weights: np.ndarray | None = None,
) -> float:
    """``-2 log L`` (+inf when a model value is missing): smaller is a better fit."""
    return -2.0 * log_likelihood(observed, se, model, noise, weights)
