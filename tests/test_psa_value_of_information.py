"""Value of information (simulate/psa/value_of_information.py) against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulate.psa.value_of_information import (
    design,
    evpi,
    evppi,
    expected_loss,
    population_value,
)


def normal_sample(mean: float, sd: float, n: int) -> np.ndarray:
    """n equally likely quantiles of N(mean, sd): a sample with almost no noise."""
    return mean + sd * stats.norm.ppf((np.arange(n) + 0.5) / n)


def evpi_two_options(mean: float, sd: float) -> float:
    """EVPI of choosing between 0 and INB ~ N(mean, sd): E[max(0, INB)] - max(0, mean)
    = sd phi(mean / sd) + mean Phi(mean / sd) - max(0, mean)."""
    z = mean / sd
    return sd * stats.norm.pdf(z) + mean * stats.norm.cdf(z) - max(0.0, mean)


@pytest.mark.parametrize("mean, sd", [(0.0, 1000.0), (500.0, 1000.0), (-2000.0, 1000.0)])
def test_evpi_of_two_options_with_normal_net_benefit(mean, sd):
    inb = normal_sample(mean, sd, 200_000)
    nb = np.column_stack([np.zeros_like(inb), inb])
    assert evpi(nb) == pytest.approx(evpi_two_options(mean, sd), rel=1e-3, abs=1e-3)
    # the optimal option's expected loss is the EVPI; the other's exceeds it by |mean|
    loss = expected_loss(nb)
    assert loss.min() == pytest.approx(evpi(nb), rel=1e-9)
    assert loss.max() - loss.min() == pytest.approx(abs(mean), rel=1e-3, abs=1e-6)


def test_evpi_is_zero_when_one_option_always_wins():
    nb = np.column_stack([np.full(100, 10.0), np.linspace(0.0, 9.0, 100)])
    assert evpi(nb) == 0.0


def test_population_value_discounts_each_year():
    # 1,000 people a year for 3 years at 3.5%, each year at its midpoint (as the window's
    # periods): 1.035^-0.5 + 1.035^-1.5 + 1.035^-2.5 = 1.035^0.5 (1 - 1.035^-3) / 0.035
    expected = 2.0 * 1000 * 1.035**0.5 * (1 - 1.035**-3) / 0.035
    assert population_value(2.0, 1000, 3, 0.035) == pytest.approx(expected)
    assert population_value(2.0, 1000, 3, 0.0) == pytest.approx(6000.0)


def test_evppi_of_a_linear_model_has_the_closed_form_answer():
    # INB = 100 + 400 theta1 + 300 theta2, thetas independent N(0, 1): learning theta1
    # leaves E(INB | theta1) = 100 + 400 theta1 ~ N(100, 400), so EVPPI(theta1) is the
    # two-option EVPI of N(100, 400); learning both gives the full EVPI of N(100, 500).
    rng = np.random.default_rng(7)
    n = 20_000
    theta = rng.standard_normal((n, 2))
    inb = 100 + 400 * theta[:, 0] + 300 * theta[:, 1]
    nb = np.column_stack([np.zeros(n), inb])
    one = evppi(nb, theta[:, 0], samples=100)
    assert one.value == pytest.approx(evpi_two_options(100, 400), rel=0.05)
    assert 0 < one.se < 0.05 * one.value
    assert one.r_squared[0] == pytest.approx(400**2 / (400**2 + 300**2), abs=0.02)
    both = evppi(nb, theta, samples=100)
    assert both.value == pytest.approx(evpi_two_options(100, 500), rel=0.05)
    assert both.value <= evpi(nb) * 1.02  # partial information is worth at most perfect
    assert both.r_squared[0] > 0.99


def test_evppi_of_an_irrelevant_parameter_is_about_zero():
    rng = np.random.default_rng(11)
    n = 5000
    noise, irrelevant = rng.standard_normal(n), rng.standard_normal(n)
    nb = np.column_stack([np.zeros(n), 50 + 300 * noise])
    result = evppi(nb, irrelevant, samples=100)
    assert result.value < 0.05 * evpi(nb)
    assert result.value >= 0


def test_design_bases_span_a_constant():
    x = np.random.default_rng(1).uniform(size=(500, 3))
    for parameters in (x[:, 0], x[:, :2], x):
        basis = design(parameters)
        ones = np.ones(len(basis))
        coef, *_ = np.linalg.lstsq(basis, ones, rcond=None)
        assert np.allclose(basis @ coef, ones)
