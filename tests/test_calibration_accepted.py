"""The accepted set: rejection on prior draws within the tolerance of the best."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulate.calibration.accepted import (
    accept,
    accepted_table,
    best_of,
    default_tolerance,
    ranges,
)
from simulate.calibration.evaluations import Evaluation


def ev(index: int, stage: str, x: float, d: float) -> Evaluation:
    return Evaluation(index, stage, (x, 10 * x), (0.0,), (0.0,), d)


EVALUATIONS = [
    ev(0, "defaults", 0.0, 3.0),
    ev(1, "screening", 1.0, 10.0),
    ev(2, "screening", 2.0, 5.0),
    ev(3, "optimiser", 3.0, 1.0),  # the best: sets the bar, never accepted
    ev(4, "prior", 4.0, 6.9),
    ev(5, "prior", 5.0, 7.1),
    ev(6, "prior", 6.0, math.inf),
]


def test_prior_draws_within_the_tolerance_of_the_best_are_accepted():
    assert best_of(EVALUATIONS).index == 3
    assert [e.index for e in accept(EVALUATIONS, 6.0)] == [2, 4]
    assert [e.index for e in accept(EVALUATIONS, 100.0)] == [1, 2, 4, 5]
    assert accept([ev(0, "prior", 1.0, math.inf)], 1.0) == []


def test_the_default_tolerance_is_the_chi_square_95_quantile():
    assert default_tolerance(1) == pytest.approx(3.841458820694124)
    assert default_tolerance(2) == pytest.approx(-2 * math.log(0.05))  # chi2(2): exponential


def test_the_table_has_set_weight_and_one_column_per_path():
    table = accepted_table(accept(EVALUATIONS, 6.0), ["a.b", "c[0].d"])
    assert list(table.columns) == ["set", "weight", "a.b", "c[0].d"]
    assert table["set"].tolist() == [0, 1] and table["weight"].sum() == pytest.approx(1.0)
    assert table["c[0].d"].tolist() == [20.0, 40.0]
    empty = accepted_table([], ["a"])
    assert list(empty.columns) == ["set", "weight", "a"] and empty.empty


def test_ranges_are_weighted_central_quantiles():
    table = pd.DataFrame({"set": range(40), "weight": 1 / 40, "a": range(40)})
    row = ranges(table, ["a"]).iloc[0]
    assert row["mean"] == pytest.approx(19.5)
    assert (row["low"], row["high"]) == (0, 38)  # smallest x with F(x) >= 2.5%, >= 97.5%
    wide = pd.DataFrame({"set": range(200), "weight": 1 / 200, "a": range(200)})
    row = ranges(wide, ["a"]).iloc[0]
    assert (row["low"], row["high"]) == (4, 194)
