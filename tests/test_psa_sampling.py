"""Parameter draws (simulate/psa/sampling.py): coverage, reproducibility, the copula."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulate.psa.sampling import correlate, correlation_matrix, unit_draws


@pytest.mark.parametrize("method", ["lhs", "sobol", "random"])
def test_draws_are_uniform_reproducible_and_inside_the_unit_interval(method):
    u = unit_draws(256, 3, method, seed=5)
    assert u.shape == (256, 3) and np.all((u > 0) & (u < 1))
    assert np.array_equal(u, unit_draws(256, 3, method, seed=5))
    assert not np.array_equal(u, unit_draws(256, 3, method, seed=6))
    assert stats.kstest(u[:, 0], "uniform").pvalue > 0.01


def test_latin_hypercube_puts_one_draw_in_each_stratum():
    u = unit_draws(50, 2, "lhs", seed=1)
    for column in u.T:
        assert sorted(np.floor(column * 50).astype(int)) == list(range(50))


def test_the_copula_gives_the_rank_correlation_asked_for():
    u = unit_draws(20_000, 2, "random", seed=3)
    c = correlation_matrix(["a", "b"], [("a", "b", 0.6)])
    mixed = correlate(u, c)
    # Gaussian copula: Spearman rho = (6 / pi) asin(rho / 2)
    expected = 6 / np.pi * np.arcsin(0.6 / 2)
    assert stats.spearmanr(mixed[:, 0], mixed[:, 1]).statistic == pytest.approx(expected, abs=0.02)
    assert stats.kstest(mixed[:, 1], "uniform").pvalue > 0.01  # the marginal stays uniform
    assert correlate(u, np.eye(2)) is u


@pytest.mark.parametrize(
    "pairs, message",
    [
        ([("a", "x", 0.2)], "not a parameter"),
        ([("a", "a", 0.2)], "itself"),
        ([("a", "b", 1.0)], "strictly between"),
    ],
)
def test_bad_correlations_are_refused(pairs, message):
    with pytest.raises(ValueError, match=message):
        correlation_matrix(["a", "b", "c"], pairs)


def test_inconsistent_correlations_are_refused():
    c = correlation_matrix(["a", "b", "c"], [("a", "b", 0.9), ("b", "c", 0.9), ("a", "c", -0.9)])
    with pytest.raises(ValueError, match="not positive definite"):
        correlate(unit_draws(10, 3, "random", 0), c)
