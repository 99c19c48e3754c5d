"""Sweep designs (sizes, bounds, determinism) and the sensitivity pipeline on a known
function (Ishigami), with the simulation swapped for a plain function."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from simulate.experiment.executors import SerialExecutor
from simulate.sweep.analysis import runs_table, sensitivity, stability_warnings
from simulate.sweep.design import make_design
from simulate.sweep.evaluate import FunctionEvaluator
from simulate.sweep.runner import run_design
from simulate.sweep.spec import SweepSpec
from simulate.sweep.store import RunStore


def spec(design: str, **extra) -> SweepSpec:
    parameters = extra.pop(
        "parameters",
        [
            {"path": "a", "low": 1.0, "high": 3.0},
            {"path": "b", "values": [10, 20, 30, 40]},
            {"path": "c", "low": -5, "high": 5, "integer": True},
        ],
    )
    return SweepSpec.model_validate({"design": design, "parameters": parameters, **extra})


def test_grid_is_the_full_product_in_order():
    design = make_design(
        spec(
            "grid",
            parameters=[
                {"path": "a", "low": 0, "high": 1, "steps": 3},
                {"path": "b", "values": ["x", "y"]},
            ],
        )
    )
    assert design.values == (
        (0.0, "x"), (0.0, "y"), (0.5, "x"), (0.5, "y"), (1.0, "x"), (1.0, "y"),
    )  # fmt: skip


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_random_and_lhs_sizes_bounds_and_seed(method):
    design = make_design(spec(method, samples=40, seed=3))
    assert design.n_points == 40
    a = np.array([v[0] for v in design.values])
    assert ((a >= 1.0) & (a < 3.0)).all()
    assert {v[1] for v in design.values} <= {10, 20, 30, 40}
    assert all(isinstance(v[2], int) and -5 <= v[2] <= 5 for v in design.values)
    assert make_design(spec(method, samples=40, seed=3)).values == design.values
    assert make_design(spec(method, samples=40, seed=4)).values != design.values


def test_lhs_puts_one_sample_in_each_stratum():
    design = make_design(spec("lhs", samples=10, seed=1))
    a = np.array([v[0] for v in design.values])
    strata = np.floor((a - 1.0) / 2.0 * 10).astype(int)
    assert sorted(strata) == list(range(10))


def test_sobol_and_morris_sizes_and_bounds():
    sobol = make_design(spec("sobol", samples=16, seed=1))
    assert sobol.n_points == 16 * (3 + 2)
    assert make_design(spec("sobol", samples=16, second_order=True)).n_points == 16 * (2 * 3 + 2)
    morris = make_design(spec("morris", samples=5, seed=1, levels=4))
    assert morris.n_points == 5 * (3 + 1)
    for design in (sobol, morris):
        assert design.matrix is not None and design.matrix.shape == (design.n_points, 3)
        assert {v[1] for v in design.values} <= {10, 20, 30, 40}
        assert all(1.0 <= v[0] <= 3.0 for v in design.values)
    assert make_design(spec("morris", samples=5, seed=1)).values == morris.values


def _run(design, evaluator, tmp_path, replications=1):
    store = RunStore(tmp_path / "runs.sqlite", {"test": 1}, evaluator.metrics)
    added = run_design(design, evaluator, replications, SerialExecutor(), store)
    runs = runs_table(design, store.table(), evaluator.metrics)
    store.close()
    return added, runs


def test_sobol_indices_of_ishigami_match_the_analytical_values(tmp_path):
    bounds = [-np.pi, np.pi]
    parameters = [{"path": f"x{k}", "low": bounds[0], "high": bounds[1]} for k in (1, 2, 3)]
    design = make_design(spec("sobol", parameters=parameters, samples=1024, seed=11))
    evaluator = FunctionEvaluator(Ishigami.evaluate)
    added, runs = _run(design, evaluator, tmp_path)
    assert added == len(runs) == 1024 * 5
    indices, skipped = sensitivity(design, runs, ["y"], seed=11)
    assert not skipped
    s1 = indices["S1"].to_numpy()
    st = indices["ST"].to_numpy()
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=0.04)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=0.04)
    assert (indices["S1_conf"] > 0).all() and (indices["ST_conf"] < 0.1).all()
    for key in ("S1", "ST"):
        np.testing.assert_allclose(indices[f"{key}_low"], indices[key] - indices[f"{key}_conf"])
        np.testing.assert_allclose(indices[f"{key}_high"], indices[key] + indices[f"{key}_conf"])
    assert stability_warnings("sobol", 1024, indices) == []  # N >= 512, CIs within +/- 0.1


def test_a_tiny_sobol_sample_is_flagged_and_its_intervals_shown(tmp_path):
    parameters = [{"path": f"x{k}", "low": -np.pi, "high": np.pi} for k in (1, 2, 3)]
    design = make_design(spec("sobol", parameters=parameters, samples=8, seed=11))
    _added, runs = _run(design, FunctionEvaluator(Ishigami.evaluate), tmp_path)
    indices, _ = sensitivity(design, runs, ["y"], seed=11)
    assert list(indices.columns) == [
        "method", "metric", "parameter",
        "S1", "S1_conf", "S1_low", "S1_high", "ST", "ST_conf", "ST_low", "ST_high",
    ]  # fmt: skip
    for key in ("S1", "ST"):
        given = indices[indices[f"{key}_conf"].notna()]
        assert len(given) == 3
        assert (given[f"{key}_low"] <= given[key]).all()
        assert (given[key] <= given[f"{key}_high"]).all()
    [warning] = stability_warnings("sobol", 8, indices)
    assert warning.startswith("Sobol indices unstable: the base sample is N = 8 (at least 512)")
    widest = indices[["S1_conf", "ST_conf"]].max().max()
    assert widest > 0.1 and f"reach +/- {widest:.2f}" in warning
    # before any run (--dry-run) only the sample size is known
    [before] = stability_warnings("sobol", 8, None)
    assert "N = 8" in before and "reach" not in before
    assert stability_warnings("sobol", 512, None) == []


def test_morris_gives_mu_star_sigma_and_intervals(tmp_path):
    parameters = [{"path": f"x{k}", "low": -np.pi, "high": np.pi} for k in (1, 2, 3)]
    design = make_design(spec("morris", parameters=parameters, samples=40, seed=2))
    _added, runs = _run(design, FunctionEvaluator(Ishigami.evaluate), tmp_path)
    indices, _ = sensitivity(design, runs, ["y"], seed=2)
    assert list(indices.columns) == [
        "method", "metric", "parameter",
        "mu", "mu_star", "mu_star_conf", "mu_star_low", "mu_star_high", "sigma",
    ]  # fmt: skip
    assert (indices["mu_star_low"] <= indices["mu_star"]).all()
    assert (indices["mu_star"] <= indices["mu_star_high"]).all()
    assert stability_warnings("morris", 40, indices) == []
    [warning] = stability_warnings("morris", 9, indices)
    assert warning.startswith("Morris indices unstable: r = 9 trajectories (at least 10)")
    assert stability_warnings("grid", 1, None) == []
    assert (indices["mu_star"] >= indices["mu"].abs() - 1e-12).all()
    assert (indices["mu_star_conf"] > 0).all()
    # x3 acts only through its interaction with x1: even effects cancel in mu, not in mu*
    x3 = indices.set_index("parameter").loc["x3"]
    assert x3["mu_star"] > 5 * abs(x3["mu"])


def test_a_second_pass_runs_nothing_and_keeps_rows(tmp_path):
    design = make_design(spec("random", samples=6, seed=1))
    evaluator = FunctionEvaluator(lambda x: x.sum(axis=1))
    first, runs = _run(design, evaluator, tmp_path, replications=2)
    again, runs_again = _run(design, evaluator, tmp_path, replications=2)
    assert (first, again) == (12, 0)
    assert runs.equals(runs_again)
    assert not runs.duplicated(["point", "replication"]).any()


def _draws(counter: list[int], n: int):
    for k in range(n):
        counter[0] += 1
        yield k


def test_executors_keep_a_bounded_number_of_tasks_in_flight():
    from simulate.experiment.executors import PoolExecutor

    counter = [0]
    seen = []
    with PoolExecutor(2) as executor:
        for k, result in enumerate(executor.imap_unordered(abs, _draws(counter, 40)), start=1):
            seen.append(result)
            assert counter[0] <= k + 2 * executor.slots  # never more than 4 ahead
    assert sorted(seen) == list(range(40))
