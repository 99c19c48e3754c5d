"""Value of information from probabilistic sensitivity analysis draws.

Net benefit ``nb`` is [draw, option] in currency units (per person, or per period: the
unit carries through). The decision with current information is the option of highest
expected net benefit; perfect information would let the choice follow each draw.

- EVPI = E[max_d NB_d] - max_d E[NB_d] (Raiffa & Schlaifer 1961; Claxton 1999).
- Expected loss of option d = E[max_j NB_j - NB_d]; the optimal option's loss is the EVPI
  (Alarid-Escudero et al. 2019, *PharmacoEconomics Open*).
- EVPPI of parameters phi = E_phi[max_d E(NB_d | phi)] - max_d E[NB_d], with E(NB_d | phi)
  estimated by regressing each option's net benefit (relative to the first option) on phi
  (Strong, Oakley & Brennan 2014, *Medical Decision Making* 34:311): here a cubic
  regression spline (B-spline basis, knots at quantiles; a tensor product for two
  parameters, additive for more), fitted by least squares, with the standard error from
  sampling the coefficients from their estimated normal distribution (ibid., section 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import BSpline

from simulate.compare.discounting import discount_factors


def evpi(nb: np.ndarray) -> float:
    """Expected value of perfect information (currency units, as ``nb``); 0 when the
    difference is rounding (below 1e-12 of the largest net benefit, or negative)."""
    nb = np.asarray(nb, dtype=float)
    return _beyond_rounding(float(nb.max(axis=1).mean() - nb.mean(axis=0).max()), nb)


def _beyond_rounding(value: float, nb: np.ndarray) -> float:
    """``value``, or 0 when it is below 1e-12 of the largest |net benefit| (or negative)."""
    scale = float(np.nanmax(np.abs(nb))) if nb.size else 0.0
    return value if value > 1e-12 * scale else 0.0


def expected_loss(nb: np.ndarray) -> np.ndarray:
    """[option] expected loss of choosing it: E[max_j NB_j - NB_d] (currency units)."""
    nb = np.asarray(nb, dtype=float)
    return (nb.max(axis=1, keepdims=True) - nb).mean(axis=0)


def population_value(
    per_person: float, population_per_year: float, years: int, annual_discount: float
) -> float:
    """Per-person value x the people affected over ``years``, year y (0, 1, ...) discounted
    at its midpoint as the window's periods are (``compare.discounting``):
    per_person x pop x sum_y (1 + r)^-(y + 1/2)."""
    midpoints = np.arange(years, dtype=float) + 0.5
    return float(
        per_person * population_per_year * discount_factors(annual_discount, midpoints).sum()
    )


def spline_basis(x: np.ndarray, knots: int, degree: int = 3) -> np.ndarray:
    """[n, knots + degree + 1] cubic B-spline basis of ``x`` with ``knots`` interior knots
    at its quantiles (boundary knots at the range); a constant column is in its span."""
    x = np.asarray(x, dtype=float)
    low, high = float(x.min()), float(x.max())
    if high <= low:
        return np.ones((len(x), 1))
    inner = np.quantile(x, np.linspace(0, 1, knots + 2)[1:-1])
    t = np.concatenate([[low] * (degree + 1), inner, [high] * (degree + 1)])
    return BSpline.design_matrix(np.clip(x, low, high), t, degree).toarray()


def design(parameters: np.ndarray, knots: int | None = None) -> np.ndarray:
    """Regression basis of a [n, m] parameter sample: splines of one parameter, their
    tensor product for two, additive splines (one shared constant) for more."""
    phi = np.asarray(parameters, dtype=float)
    phi = phi.reshape(len(phi), -1)
    n, m = phi.shape
    if knots is None:
        knots = int(np.clip(n // (40 * m * m), 1, 8))
    bases = [spline_basis(phi[:, j], knots) for j in range(m)]
    if m == 1:
        return bases[0]
    if m == 2:
        a, b = bases
        return (a[:, :, None] * b[:, None, :]).reshape(n, -1)
    return np.column_stack([np.ones(n), *[basis[:, 1:] for basis in bases]])


@dataclass(frozen=True)
class EVPPI:
    """Expected value of partial perfect information and its standard error."""

    value: float
    """EVPPI (currency units, as the net benefit)."""
    se: float
    """Standard error from the metamodel's coefficient uncertainty."""
    r_squared: tuple[float, ...]
    """Share of each incremental net benefit's variance the metamodel explains."""


def evppi(
    nb: np.ndarray,
    parameters: np.ndarray,
    *,
    knots: int | None = None,
    samples: int = 500,
    seed: int = 0,
) -> EVPPI:
    """EVPPI of ``parameters`` ([draw] or [draw, m]) for net benefit ``nb`` [draw, option].

    Regresses each option's net benefit minus the first option's on the parameters; the
    fitted values estimate E(INB | phi). EVPPI is never below 0 (a negative estimate,
    from noise, is reported as 0).
    """
    nb = np.asarray(nb, dtype=float)
    x = design(parameters, knots)
    incremental = nb[:, 1:] - nb[:, :1]
    coef, _, rank, _ = np.linalg.lstsq(x, incremental, rcond=None)
    fitted = x @ coef
    residual = incremental - fitted
    total = ((incremental - incremental.mean(axis=0)) ** 2).sum(axis=0)
    r2 = tuple(
        float(1 - (residual[:, k] ** 2).sum() / total[k]) if total[k] > 0 else 1.0
        for k in range(incremental.shape[1])
    )
    value = _evppi_from_fitted(fitted)
    dof = max(len(x) - rank, 1)
    xtx_inv = np.linalg.pinv(x.T @ x)
    rng = np.random.default_rng(seed)
    draws = []
    for k in range(incremental.shape[1]):
        sigma2 = float((residual[:, k] ** 2).sum() / dof)
        cov = sigma2 * xtx_inv
        draws.append(rng.multivariate_normal(coef[:, k], cov, size=samples, method="svd"))
    sampled = [
        _evppi_from_fitted(x @ np.stack([d[s] for d in draws], axis=1)) for s in range(samples)
    ]
    return EVPPI(_beyond_rounding(value, nb), float(np.std(sampled, ddof=1)), r2)


def _evppi_from_fitted(fitted: np.ndarray) -> float:
    """EVPPI from fitted incremental net benefits [draw, option - 1] (first option 0)."""
    g = np.column_stack([np.zeros(len(fitted)), fitted])
    return float(g.max(axis=1).mean() - g.mean(axis=0).max())
