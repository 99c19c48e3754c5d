"""Parameter distributions of the uncertainty: section (simulate/psa/distributions.py)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from simulate.psa.distributions import (
    Beta,
    Dirichlet,
    Distribution,
    Gamma,
    LogNormal,
    Triangular,
)


def test_distributions_method_of_moments_match_mean_and_se():
    u = (np.arange(100_000) + 0.5) / 100_000
    for dist in (
        Beta(type="beta", mean=0.2, se=0.05),
        Gamma(type="gamma", mean=1500.0, se=300.0),
        LogNormal(type="lognormal", mean=2.0, se=0.5),
    ):
        values = dist.ppf(u)
        assert values.mean() == pytest.approx(dist.mean_, rel=1e-3)
        assert values.std() == pytest.approx(dist.se, rel=1e-2)
    tri = Triangular(type="triangular", low=0.0, mode=1.0, high=4.0)
    assert tri.mean == pytest.approx(5 / 3)


def test_dirichlet_shares_sum_to_one_with_the_expected_means():
    dist = Dirichlet(type="dirichlet", alpha=(2.0, 3.0, 5.0))
    u = np.random.default_rng(2).uniform(size=(20_000, 3))
    shares = dist.ppf(u)
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert shares.mean(axis=0) == pytest.approx([0.2, 0.3, 0.5], abs=0.01)
    assert dist.dimension == 3


@pytest.mark.parametrize(
    "data, message",
    [
        ({"type": "beta", "alpha": 2.0}, "give either alpha and beta, or mean and se"),
        ({"type": "beta", "mean": 0.5, "se": 0.6}, "se must be below"),
        ({"type": "gamma", "shape": 2.0, "scale": 1.0, "mean": 2.0, "se": 1.0}, "give either"),
        ({"type": "uniform", "low": 2.0, "high": 1.0}, "low must be below high"),
        ({"type": "triangular", "low": 0.0, "mode": 5.0, "high": 4.0}, "low <= mode <= high"),
        ({"type": "dirichlet", "alpha": [1.0, -1.0]}, "every alpha must be > 0"),
    ],
)
def test_bad_distributions_are_refused_with_a_reason(data, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        TypeAdapter(Distribution).validate_python(data)


def test_ppf_is_monotone_and_finite_inside_the_unit_interval():
    u = np.linspace(0.001, 0.999, 101)
    for data in (
        {"type": "normal", "mean": 3.0, "se": 1.0},
        {"type": "uniform", "low": -1.0, "high": 1.0},
        {"type": "gamma", "shape": 2.0, "scale": 10.0},
        {"type": "lognormal", "mu": 0.0, "sigma": 0.5},
        {"type": "beta", "alpha": 2.0, "beta": 5.0},
    ):
        values = TypeAdapter(Distribution).validate_python(data).ppf(u)
        assert np.all(np.isfinite(values)) and np.all(np.diff(values) > 0), data
    assert math.isclose(
        TypeAdapter(Distribution).validate_python({"type": "uniform", "low": 0, "high": 2}).mean, 1
    )
