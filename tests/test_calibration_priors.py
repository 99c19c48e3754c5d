"""Priors truncated to the bounds, and the Latin hypercube draws from them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulate.calibration.priors import bounded_ppf, prior_draws
from simulate.calibration.spec import CalibrationParameter
from simulate.psa.distributions import LogUniform


def parameter(**prior) -> CalibrationParameter:
    data = {"path": "a", "low": 1.0, "high": 100.0}
    if prior:
        data["prior"] = prior
    return CalibrationParameter.model_validate(data)


def test_without_a_prior_a_parameter_is_uniform_on_its_bounds():
    assert bounded_ppf(parameter(), np.array([0.0, 0.25, 1.0])).tolist() == [1.0, 25.75, 100.0]


def test_loguniform_takes_the_bounds_and_is_uniform_in_the_log():
    data = {"path": "a", "low": 1, "high": 100, "prior": "loguniform"}
    p = CalibrationParameter.model_validate(data)
    assert p.log_scale and p.prior.low == 1 and p.prior.high == 100
    assert bounded_ppf(p, np.array([0.5]))[0] == pytest.approx(10.0)  # sqrt(1 x 100)
    assert LogUniform(type="loguniform", low=2, high=8).ppf(np.array([0.5]))[0] == pytest.approx(4)


def test_a_normal_prior_is_truncated_to_the_bounds():
    p = parameter(type="normal", mean=50.0, se=10.0)
    # symmetric truncation keeps the median at the mean; the ends map to the bounds
    assert bounded_ppf(p, np.array([0.5]))[0] == pytest.approx(50.0)
    assert bounded_ppf(p, np.array([0.0, 1.0])).tolist() == pytest.approx([1.0, 100.0])
    # one-sided truncation: P(x < 60 | 40 <= x <= 100) from the normal CDF
    q = CalibrationParameter.model_validate(
        {"path": "a", "low": 40, "high": 100, "prior": {"type": "normal", "mean": 50, "se": 10}}
    )
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    u = (phi(1.0) - phi(-1.0)) / (1 - phi(-1.0))
    assert bounded_ppf(q, np.array([u]))[0] == pytest.approx(60.0)


def test_draws_are_seeded_stratified_and_inside_the_bounds():
    share = {"path": "b", "low": 0, "high": 1, "prior": {"type": "beta", "alpha": 2, "beta": 2}}
    params = [parameter(), CalibrationParameter.model_validate(share)]
    first, extra = prior_draws(params, (10, 5), seed=4)
    again, _ = prior_draws(params, (10, 5), seed=4)
    assert np.array_equal(first, again) and first.shape == (10, 2) and extra.shape == (5, 2)
    strata = np.floor((first[:, 0] - 1.0) / 99.0 * 10).astype(int)
    assert sorted(strata) == list(range(10))  # one draw per tenth of a uniform prior
    assert np.all((first[:, 1] > 0) & (first[:, 1] < 1))
    assert not np.array_equal(prior_draws(params, (10, 5), seed=5)[0], first)
