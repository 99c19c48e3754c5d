"""A small PSA run end to end through the library (plan, run store, executors, tables)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulate.compare.discounting import discount_factors, period_midpoints
from simulate.experiment.executors import PoolExecutor, SerialExecutor
from simulate.psa.output import write_outputs
from simulate.psa.plan import plan_psa
from simulate.scenario.loader import bundled_dir
from simulate.sweep.runner import run_design
from simulate.sweep.store import STORE_NAME, RunStore

FILE = (
    "name: tiny_psa\n"
    f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
    "horizon_periods: 3\n"
    "warmup_periods: 1\n"
    "variants:\n"
    "  thresholds: [20000]\n"
    "  discount: 0\n"
    "  list:\n"
    "    - name: ffs\n"
    "    - name: salary\n"
    "      set: {payment: {fee_for_service: null, salary: {annual: 150000}}}\n"
    "uncertainty:\n"
    "  draws: 6\n"
    "  replications: 2\n"
    "  parameters:\n"
    "    - path: conditions[0].base_cost\n"
    "      distribution: {type: gamma, mean: 1500, se: 300}\n"
)


def run_psa(tmp_path, name: str, executor) -> tuple[dict, object]:
    path = tmp_path / "psa.yaml"
    path.write_text(FILE)
    plan = plan_psa(path)
    folder = tmp_path / name
    store = RunStore(folder / STORE_NAME, plan.fingerprint(), plan.evaluator.metrics)
    with executor:
        run_design(plan.design, plan.evaluator, plan.replications, executor, store)
    manifest = write_outputs(plan, store, folder, extra={})
    store.close()
    return manifest, plan


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("psa")
    manifest, plan = run_psa(folder, "serial", SerialExecutor())
    return folder / "serial", manifest, plan


def test_tables_hold_every_draw_and_variant(serial):
    folder, manifest, _ = serial
    # 6 draws and 3 tornado settings (base, low, high) x 2 variants x 2 replications
    assert manifest["complete"] and manifest["runs_finished"] == (6 + 3) * 2 * 2
    psa = pd.read_csv(folder / "psa.csv")
    assert len(psa) == 12 and set(psa["variant"]) == {"ffs", "salary"}
    runs = pd.read_csv(folder / "runs.csv")
    one = runs[(runs["draw"] == 3) & (runs["variant"] == "salary")]
    row = psa[(psa["draw"] == 3) & (psa["variant"] == "salary")].iloc[0]
    # health-system cost: resource cost + payments, mean over the draw's replications
    assert row["cost"] == pytest.approx((one["cost"] + one["payment_total"]).mean())
    assert row["nmb_20000"] == pytest.approx(20_000 * row["qalys"] - row["cost"])
    draws = pd.read_csv(folder / "draws.csv")
    assert len(draws) == 6 and "conditions[0].base_cost" in draws
    for m in ("cost", "payment_total", "qalys"):  # discount: 0 in FILE
        assert runs[f"discounted_{m}"].to_numpy() == pytest.approx(runs[m].to_numpy(), rel=1e-12)


def test_the_economics_use_discounted_costs_and_qalys(tmp_path):
    path = tmp_path / "psa.yaml"
    path.write_text(FILE.replace("  discount: 0\n", "  discount: {costs: 0.035, qalys: 0.1}\n"))
    plan = plan_psa(path)
    row = plan.evaluator.evaluate(plan.evaluator.prepare((0, 1)), 0)
    days = plan.variant_set.variants[0].scenario.period_days
    for metric, rate in (("cost", 0.035), ("payment_total", 0.035), ("qalys", 0.1)):
        last, first = discount_factors(rate, period_midpoints(2, days)[[-1, 0]])
        assert last < row[f"discounted_{metric}"] / row[metric] < first, metric
    assert plan.fingerprint()["discount"] == {"costs": 0.035, "qalys": 0.1}


def test_the_drawn_cost_moves_the_resource_cost(serial):
    folder, _, _ = serial
    psa = pd.read_csv(folder / "psa.csv")
    draws = pd.read_csv(folder / "draws.csv").set_index("draw")
    ffs = psa[psa["variant"] == "ffs"].set_index("draw")
    # a higher base cost of the main condition gives a higher cost in the same patients
    rho = np.corrcoef(draws["conditions[0].base_cost"], ffs["cost"])[0, 1]
    assert rho > 0.9


def test_decision_probabilities_and_the_frontier(serial):
    folder, _, _ = serial
    decision = pd.read_csv(folder / "decision.csv").set_index("variant")
    assert decision["p_best_20000"].sum() == pytest.approx(1.0)
    assert decision.loc["salary", "optimal_20000"] != decision.loc["ffs", "optimal_20000"]
    ceac = pd.read_csv(folder / "ceac.csv")
    assert ceac.groupby("threshold")["optimal"].sum().eq(1).all()
    loss = pd.read_csv(folder / "expected_loss.csv")
    at = loss[loss["threshold"] == 20000].set_index("variant")["expected_loss"]
    assert at.min() == pytest.approx(decision["evpi_20000"].iloc[0])  # loss of the optimum
    variance = pd.read_csv(folder / "variance.csv")
    assert len(variance) == 1 and variance.loc[0, "variant"] == "salary"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["skipped"] == {"evppi": "6 complete draws; EVPPI needs 50"}


def test_same_numbers_on_a_pool_of_two_workers(serial, tmp_path):
    folder, _, _ = serial
    run_psa(tmp_path, "pool", PoolExecutor(2))
    for stem in ("runs", "psa", "decision", "ceac"):
        a = pd.read_csv(folder / f"{stem}.csv").drop(columns=["seconds"], errors="ignore")
        b = pd.read_csv(tmp_path / "pool" / f"{stem}.csv").drop(
            columns=["seconds"], errors="ignore"
        )
        pd.testing.assert_frame_equal(a, b, check_exact=True)
