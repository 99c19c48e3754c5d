"""PSA decision tables (simulate/psa/analysis.py) on hand-made runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulate.psa.analysis import (
    decision_under_uncertainty,
    draw_means,
    evppi_table,
    variance_split,
    with_perspective_cost,
)


def runs_frame(cost: dict[str, np.ndarray], qalys: dict[str, np.ndarray]) -> pd.DataFrame:
    """Runs from [draw, replication] arrays of resource cost and QALYs per variant."""
    rows = []
    for variant in cost:
        draws, reps = cost[variant].shape
        for d in range(draws):
            for k in range(reps):
                rows.append(
                    {
                        "draw": d,
                        "variant": variant,
                        "replication": k,
                        "cost": cost[variant][d, k],
                        "payment_total": 0.0,
                        "qalys": qalys[variant][d, k],
                    }
                )
    return with_perspective_cost(pd.DataFrame(rows), "health_system")


def test_perspective_cost_and_draw_means():
    runs = runs_frame(
        {"a": np.array([[10.0, 20.0], [30.0, 50.0]])}, {"a": np.array([[1.0, 2.0], [3.0, 4.0]])}
    )
    runs.loc[0, "payment_total"] = 5.0
    assert with_perspective_cost(runs, "payer")["perspective_cost"].tolist() == [5, 0, 0, 0]
    means = draw_means(with_perspective_cost(runs, "health_system"))
    assert means["cost"].tolist() == [17.5, 40.0] and means["qalys"].tolist() == [1.5, 3.5]
    assert means["runs"].tolist() == [2, 2]


def test_variance_split_recovers_parameter_and_noise_variance():
    # INB at threshold 1 = qalys(b) - qalys(a): draw effect N(0, 2^2), noise N(0, 3^2), R = 4
    rng = np.random.default_rng(4)
    draws, reps = 4000, 4
    effect = rng.normal(0, 2, size=(draws, 1))
    noise = rng.normal(0, 3, size=(draws, reps))
    zero = np.zeros((draws, reps))
    runs = runs_frame({"a": zero, "b": zero}, {"a": zero, "b": effect + noise})
    split = variance_split(runs, 1.0, "a").iloc[0]
    assert split["variance_parameters"] == pytest.approx(4.0, rel=0.08)
    assert split["variance_noise"] == pytest.approx(9.0 / 4, rel=0.05)
    assert split["share_parameters"] == pytest.approx(4 / (4 + 9 / 4), abs=0.03)
    # noise below 5% of the parameter variance: 9 / R <= 0.05 x 4 -> R >= 45
    assert split["replications_for_5pct_noise"] == pytest.approx(45, abs=4)


def test_decision_under_uncertainty_by_hand():
    # four draws; b costs 100 more and gains 0.01 QALY more in draws 0-2, 0.002 in draw 3
    means = pd.DataFrame(
        {
            "draw": [0, 0, 1, 1, 2, 2, 3, 3],
            "variant": ["a", "b"] * 4,
            "cost": [1000, 1100] * 4,
            "qalys": [0.1, 0.11, 0.1, 0.11, 0.1, 0.11, 0.1, 0.102],
        }
    )
    table = decision_under_uncertainty(means, ["a", "b"], "a", [20_000.0]).set_index("variant")
    # incremental NMB of b at 20,000: +100, +100, +100, -60 -> mean 60, b wins 3 of 4
    assert table.loc["b", "incremental_nmb_20000"] == pytest.approx(60.0)
    assert table.loc["b", "p_cost_effective_20000"] == 0.75
    assert table.loc["b", "p_best_20000"] == 0.75
    assert table.loc["b", "optimal_20000"] and not table.loc["a", "optimal_20000"]
    # perfect information would pick a in draw 3, gaining 60/4 = 15 on average
    assert table.loc["a", "evpi_20000"] == pytest.approx(15.0)
    assert table.loc["b", "expected_loss_20000"] == pytest.approx(15.0)
    assert table.loc["a", "expected_loss_20000"] == pytest.approx(75.0)  # 300 / 4
    assert table.loc["b", "incremental_cost"] == pytest.approx(100.0)


def test_evppi_table_ranks_the_parameter_that_matters_first():
    rng = np.random.default_rng(9)
    n = 4000
    draws = pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)})
    means = pd.DataFrame(
        {
            "draw": np.repeat(np.arange(n), 2),
            "variant": ["a", "b"] * n,
            "cost": np.column_stack([np.zeros(n), -(50 + 400 * draws["x"])]).reshape(-1),
            "qalys": 0.0,
        }
    )
    table = evppi_table(means, draws, ["a", "b"], 20_000.0, {"x": ["x"], "y": ["y"]})
    assert list(table["parameters"]) == ["x", "y"]
    assert table.loc[0, "share_of_evpi"] == pytest.approx(1.0, abs=0.05)
    assert table.loc[1, "evppi"] < 0.05 * table.loc[0, "evppi"]
