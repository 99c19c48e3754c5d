"""The distance: -2 x the weighted Gaussian log-likelihood, on hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np

from simulate.calibration.distance import distance, log_likelihood


def test_one_target_on_its_value_costs_only_the_normalising_term():
    # y = m: only log(2 pi s^2) remains; s = 2, no noise
    assert distance([5.0], [2.0], [5.0], [0.0]) == math.log(2 * math.pi * 4.0)


def test_a_miss_of_two_combined_standard_errors_adds_four():
    # s^2 = 9, v = 16 -> combined variance 25 (SE 5); a miss of 10 is 2 SE: + 2^2
    d = distance([100.0], [3.0], [110.0], [16.0])
    assert d == 4.0 + math.log(2 * math.pi * 25.0)


def test_weights_scale_each_targets_terms():
    y, s, m, v = np.array([1.0, 10.0]), np.array([1.0, 2.0]), np.array([2.0, 10.0]), np.zeros(2)
    terms = [(1.0 / 1.0) + math.log(2 * math.pi), 0.0 + math.log(2 * math.pi * 4)]
    assert math.isclose(distance(y, s, m, v, np.array([3.0, 0.5])), 3 * terms[0] + 0.5 * terms[1])
    assert math.isclose(log_likelihood(y, s, m, v), -0.5 * sum(terms))


def test_noise_loosens_the_fit_and_a_missing_value_never_fits():
    tight = distance([0.0], [1.0], [3.0], [0.0])
    loose = distance([0.0], [1.0], [3.0], [8.0])  # combined SE 3: a 1-SE miss
    assert loose < tight
    assert distance([0.0], [1.0], [math.nan], [0.0]) == math.inf
    assert distance([0.0], [1.0], [0.0], [math.nan]) == distance([0.0], [1.0], [0.0], [0.0])
