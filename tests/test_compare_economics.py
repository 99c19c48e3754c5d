"""Cost-effectiveness arithmetic of `simulate compare`, checked by hand on small numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulate.compare.economics import (
    DOMINANT,
    DOMINATED,
    LESS_COSTLY_LESS_EFFECTIVE,
    MORE_COSTLY_MORE_EFFECTIVE,
    NO_DIFFERENCE,
    ceac_range,
    ceac_thresholds,
    economics,
    frontier,
    icer,
    net_monetary_benefit,
    probability_cost_effective,
    probability_most_cost_effective,
    threshold_label,
)
from simulate.compare.paired import paired_interval


@pytest.mark.parametrize(
    "d_cost, d_qalys, value, status",
    [
        (1000.0, 0.1, 10_000.0, MORE_COSTLY_MORE_EFFECTIVE),
        (-500.0, -0.05, 10_000.0, LESS_COSTLY_LESS_EFFECTIVE),
        (-500.0, 0.05, math.nan, DOMINANT),
        (0.0, 0.05, math.nan, DOMINANT),
        (-500.0, 0.0, math.nan, DOMINANT),
        (500.0, -0.05, math.nan, DOMINATED),
        (500.0, 0.0, math.nan, DOMINATED),
        (0.0, -0.05, math.nan, DOMINATED),
        (0.0, 0.0, math.nan, NO_DIFFERENCE),
    ],
)
def test_icer_by_quadrant(d_cost, d_qalys, value, status):
    got, got_status = icer(d_cost, d_qalys)
    assert got_status == status
    if math.isnan(value):
        assert math.isnan(got)  # no meaningless (negative) ratio for dominance
    else:
        assert got == pytest.approx(value)


def test_net_monetary_benefit_and_paired_interval_by_hand():
    cost = np.array([100.0, 120.0, 110.0])
    qalys = np.array([0.010, 0.012, 0.011])
    assert net_monetary_benefit(cost, qalys, 20_000) == pytest.approx([100.0, 120.0, 110.0])
    # paired differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.302653
    diff, low, high, n = paired_interval(np.array([11.0, 22.0, 33.0]), np.array([10, 20, 30]))
    half = 4.302652729911275 / math.sqrt(3)
    assert (diff, n) == (2.0, 3)
    assert (low, high) == pytest.approx((2 - half, 2 + half))
    same = paired_interval(np.array([5.0, 7.0]), np.array([5.0, 7.0]))
    assert same == (0.0, 0.0, 0.0, 2)
    one = paired_interval(np.array([5.0]), np.array([4.0]))
    assert one[0] == 1.0 and math.isnan(one[1]) and math.isnan(one[2])


def test_economics_tables_match_hand_computation():
    # two replications; B costs 100 more and gains 0.01 QALY more in each (ICER 10,000)
    cost = {"A": np.array([1000.0, 1200.0]), "B": np.array([1100.0, 1300.0])}
    qalys = {"A": np.array([0.10, 0.12]), "B": np.array([0.11, 0.13])}
    econ = economics(cost, qalys, np.array([0, 1]), "A", [5_000.0, 20_000.0], (0.0, 1.0), "x")
    ce = econ.cost_effectiveness.set_index("variant")
    assert ce.loc["B", "incremental_cost"] == pytest.approx(100.0)
    assert ce.loc["B", "incremental_qalys"] == pytest.approx(0.01)
    assert ce.loc["B", "icer"] == pytest.approx(10_000.0)
    assert ce.loc["B", "icer_status"] == MORE_COSTLY_MORE_EFFECTIVE
    assert ce.loc["A", "icer_status"] == "reference"
    # NMB at 20,000: A = 2000-1000=1000, 2400-1200=1200 -> 1100; B = 1100, 1300 -> 1200
    assert ce.loc["A", "nmb_20000"] == pytest.approx(1100.0)
    assert ce.loc["B", "nmb_20000"] == pytest.approx(1200.0)
    assert ce.loc["B", "incremental_nmb_20000"] == pytest.approx(100.0)
    assert ce.loc["B", "incremental_nmb_5000"] == pytest.approx(-50.0)  # 5,000 x 0.01 - 100
    # below the ICER A is the best in every replication, above it B is
    assert ce.loc["A", "p_best_5000"] == 1.0
    assert ce.loc["B", "p_best_20000"] == 1.0
    # against the reference: B never beats A at 5,000 and always at 20,000
    assert (ce.loc["B", "p_cost_effective_5000"], ce.loc["B", "p_cost_effective_20000"]) == (0, 1)
    assert math.isnan(ce.loc["A", "p_cost_effective_5000"])
    assert ce.loc["B", "relative_cost"] == pytest.approx(100 / 1100)
    assert ce.loc["B", "relative_qalys"] == pytest.approx(0.01 / 0.11)
    rows = econ.rows.set_index(["variant", "metric"])
    assert rows.loc[("B", "icer"), "difference"] == pytest.approx(10_000.0)
    assert rows.loc[("B", "nmb_20000"), "reference_mean"] == pytest.approx(1100.0)
    per_rep = econ.ce_replications
    assert list(per_rep.columns) == [
        "variant",
        "replication",
        "cost",
        "qalys",
        "incremental_cost",
        "incremental_qalys",
    ]
    assert per_rep[per_rep.variant == "B"]["incremental_cost"].tolist() == pytest.approx([100, 100])


def test_ceac_probabilities_sum_to_one_and_ties_are_shared():
    rng = np.random.default_rng(1)
    cost = rng.normal(1000, 50, size=(4, 30))
    qalys = rng.normal(0.1, 0.01, size=(4, 30))
    cost[3], qalys[3] = cost[2], qalys[2]  # variant 3 is a copy of variant 2
    grid = ceac_thresholds(100_000, 1_000, [20_000, 25_500])
    assert len(grid) == 102 and 25_500 in grid and grid[0] == 0 and grid[-1] == 100_000
    p = probability_most_cost_effective(cost, qalys, grid)
    assert p.shape == (102, 4)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p[:, 2], p[:, 3])  # a tie is split evenly
    # at threshold 0 the cheapest variant in each replication wins
    cheapest = np.argmin(cost[:3], axis=0)
    expected = [(cheapest == k).mean() for k in range(3)]
    assert p[0, 0] == pytest.approx(expected[0]) and p[0, 1] == pytest.approx(expected[1])
    assert p[0, 2] + p[0, 3] == pytest.approx(expected[2])


def test_threshold_labels():
    assert threshold_label(20_000.0) == "20000"
    assert threshold_label(12_500.5) == "12500.5"


def test_pairwise_probability_counts_wins_and_half_ties():
    # NMB at 10,000: ref [0, 0, 0, 0]; v1 [+1, -1, 0, +2] -> wins 2, tie 1 -> 2.5/4
    cost = np.array([[100.0, 100, 100, 100], [99, 101, 100, 98]])
    qalys = np.array([[0.01, 0.01, 0.01, 0.01], [0.01, 0.01, 0.01, 0.01]])
    p = probability_cost_effective(cost, qalys, 0, 10_000)
    assert math.isnan(p[0]) and p[1] == pytest.approx(0.625)


def test_ceac_range_reaches_the_icers():
    assert ceac_range(100_000, 1_000, [50_000.0, math.nan]) == (100_000, 1_000)
    # largest ICER 190,000 -> 1.2 x = 228,000 -> next 1/2/5 x 10^k is 500,000, step x5
    assert ceac_range(100_000, 1_000, [-190_000.0, 3_000.0]) == (500_000, 5_000)
    # capped at 100 x the maximum asked for
    assert ceac_range(100_000, 1_000, [1e12]) == (1e7, 100_000)


def test_frontier_follows_the_highest_expected_nmb():
    # A: cost 100, 0.010 QALY; B: cost 200, 0.015 -> B better above 20,000 per QALY
    cost = np.array([[100.0, 100.0], [200.0, 200.0]])
    qalys = np.array([[0.010, 0.010], [0.015, 0.015]])
    assert frontier(cost, qalys, [0, 19_000, 21_000, 50_000]).tolist() == [0, 0, 1, 1]
    econ = economics(
        {"A": cost[0], "B": cost[1]},
        {"A": qalys[0], "B": qalys[1]},
        np.array([0, 1]),
        "A",
        [30_000.0],
        (40_000.0, 10_000.0),
        "x",
    )
    optimal = econ.ceac[econ.ceac["optimal"]].set_index("threshold")["variant"]
    assert optimal.to_dict() == {0: "A", 10_000: "A", 20_000: "A", 30_000: "B", 40_000: "B"}
    assert econ.ceac.groupby("threshold")["optimal"].sum().eq(1).all()
