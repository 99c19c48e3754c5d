"""Parameter draws for probabilistic sensitivity analysis: space-filling uniforms (Latin
hypercube, scrambled Sobol or plain random, from ``scipy.stats.qmc``), an optional
Gaussian copula for correlation, and each parameter's inverse CDF.

The copula maps the uniforms of the correlated parameters to standard normals, mixes
them with the Cholesky factor of the correlation matrix and maps them back
(Nelsen 2006, *An Introduction to Copulas*, 2.3); the marginals keep their
distributions, and the rank correlation follows (close to) the one asked for. Mixing
loosens a Latin hypercube's strata a little; Iman & Conover (1982) is the classic
alternative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats
from scipy.stats import qmc

METHODS = ("lhs", "sobol", "random")
"""Ways to place the draws in the unit hypercube."""


def unit_draws(n: int, dimension: int, method: str, seed: int) -> np.ndarray:
    """[n, dimension] uniforms in (0, 1), reproducible from ``seed``."""
    if method == "lhs":
        u = qmc.LatinHypercube(d=dimension, seed=seed).random(n)
    elif method == "sobol":
        u = qmc.Sobol(d=dimension, scramble=True, seed=seed).random(n)
    elif method == "random":
        u = np.random.default_rng(seed).uniform(size=(n, dimension))
    else:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    tiny = np.finfo(float).eps
    return np.clip(u, tiny, 1 - tiny)  # inverse CDFs are finite inside (0, 1)


def correlate(u: np.ndarray, correlation: np.ndarray) -> np.ndarray:
    """Uniforms [n, k] with the Gaussian copula of ``correlation`` [k, k] imposed.

    ``correlation`` must be symmetric positive definite with a unit diagonal
    (ValueError otherwise); the identity returns ``u`` unchanged.
    """
    c = np.asarray(correlation, dtype=float)
    if not np.allclose(c, c.T) or not np.allclose(np.diag(c), 1.0):
        raise ValueError("a correlation matrix is symmetric with ones on the diagonal")
    if np.allclose(c, np.eye(len(c))):
        return u
    try:
        lower = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError("the correlations are not consistent (not positive definite)") from None
    z = stats.norm.ppf(u) @ lower.T
    return stats.norm.cdf(z)


def correlation_matrix(names: Sequence[str], pairs: Sequence[tuple[str, str, float]]) -> np.ndarray:
    """The correlation matrix of ``names`` with the given (name, name, rho) entries."""
    index = {name: i for i, name in enumerate(names)}
    c = np.eye(len(names))
    for a, b, rho in pairs:
        if a not in index or b not in index:
            missing = a if a not in index else b
            raise ValueError(f"correlation names {missing!r}, which is not a parameter")
        if a == b:
            raise ValueError(f"a parameter cannot be correlated with itself ({a!r})")
        if not -1 < rho < 1:
            raise ValueError(f"a correlation must lie strictly between -1 and 1 (got {rho})")
        c[index[a], index[b]] = c[index[b], index[a]] = rho
    return c
