"""Discounting of costs and QALYs (simulate/compare/discounting.py): closed forms, the
switch-off, what it does to compare's and psa's numbers, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import simulate.compare
from simulate.cli import app
from simulate.compare.discounting import (
    DAYS_PER_YEAR,
    Discount,
    discount_factors,
    discounted_mean,
    discounted_window,
    period_midpoints,
)
from simulate.compare.window import window_values
from simulate.experiment.replications import ReplicationJob, run_job
from simulate.scenario.loader import bundled_dir, load_scenario


def test_a_constant_stream_of_yearly_periods_is_the_mid_year_annuity():
    # 10 years of 1 a year at 3.5%, each year at its midpoint: the ordinary annuity
    # (1 - 1.035^-10) / 0.035 moved half a year later, x 1.035^0.5; the mean is that / 10.
    r, years = 0.035, 10
    annuity = (1 - (1 + r) ** -years) / r * (1 + r) ** 0.5
    flows = np.ones(years)
    assert discounted_mean(flows, r, DAYS_PER_YEAR) == pytest.approx(annuity / years, rel=1e-12)


def test_a_constant_monthly_stream_is_a_geometric_sum():
    # P months of 100: (100 / P) q^(1/2) (1 - q^P) / (1 - q), q = 1.035^(-1/12 year)
    r, months, days = 0.035, 24, DAYS_PER_YEAR / 12
    q = (1 + r) ** -(1 / 12)
    expected = 100 / months * q**0.5 * (1 - q**months) / (1 - q)
    assert discounted_mean(np.full(months, 100.0), r, days) == pytest.approx(expected, rel=1e-12)
    assert period_midpoints(2, DAYS_PER_YEAR)[1] == pytest.approx(1.5)


def test_rate_zero_is_the_plain_mean_and_columns_discount_alike():
    flows = np.array([[1.0, 10.0], [3.0, 30.0], [8.0, 80.0]])
    assert discounted_mean(flows, 0.0, 30.0) == pytest.approx(flows.mean(axis=0), rel=1e-15)
    assert discount_factors(0.0, [0.0, 5.0, 50.0]).tolist() == [1.0, 1.0, 1.0]
    d = discounted_mean(flows, 0.1, 365.25)
    assert d[1] == pytest.approx(10 * d[0])  # linear in the flows


def test_discount_describes_its_rates():
    assert Discount().describe() == "3.5% a year for costs and QALYs"
    assert Discount(0.03, 0.015).describe() == "3% a year for costs, 1.5% for QALYs"
    assert Discount(0, 0).describe() == "none (undiscounted)"


@pytest.fixture(scope="module")
def two_years():
    """Two replications of a 24-month baseline (no warm-up), with their window means."""
    scenario = load_scenario(bundled_dir() / "baseline_ffs.yaml").model_copy(
        update={"horizon_periods": 24, "warmup_periods": 0}
    )
    results = [run_job(ReplicationJob(scenario, k, False)) for k in range(2)]
    return scenario, results, window_values(scenario, results)


def test_undiscounted_flows_equal_the_window_means(two_years):
    scenario, results, window = two_years
    flows = discounted_window(scenario, results, Discount(0.0, 0.0))
    for column in ("cost", "payment_total", "qalys"):
        assert flows[column].to_numpy() == pytest.approx(window[column].to_numpy(), rel=1e-12)


def test_discounted_flows_lie_between_the_first_and_last_factors(two_years):
    scenario, results, window = two_years
    flows = discounted_window(scenario, results, Discount(0.035, 0.015))
    months = period_midpoints(24, scenario.period_days)
    for column, rate in (("cost", 0.035), ("payment_total", 0.035), ("qalys", 0.015)):
        ratio = flows[column].to_numpy() / window[column].to_numpy()
        low, high = discount_factors(rate, months[[-1, 0]])
        assert np.all((ratio > low) & (ratio < high)), column
    # a higher rate discounts more: QALYs at 1.5% keep more than costs at 3.5%
    q = (flows["qalys"] / window["qalys"]).to_numpy()
    c = (flows["cost"] / window["cost"]).to_numpy()
    assert np.all(q > c)


def tiny(discount: str) -> str:
    return (
        "name: tiny\n"
        f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
        "horizon_periods: 13\n"
        "warmup_periods: 1\n"
        "replications: 2\n"
        "variants:\n"
        f"  discount: {discount}  # HERE\n"
        "  list:\n"
        "    - name: ffs\n"
        "    - name: salary\n"
        "      set: {payment: {fee_for_service: null, salary: {annual: 150000}}}\n"
    )


def test_compare_numbers_move_as_the_rates_say(tmp_path):
    (tmp_path / "off.yaml").write_text(tiny("0"))
    (tmp_path / "on.yaml").write_text(tiny("{costs: 0.035, qalys: 0.035}"))
    off = simulate.compare.compare(tmp_path / "off.yaml").cost_effectiveness.set_index("variant")
    on = simulate.compare.compare(tmp_path / "on.yaml").cost_effectiveness.set_index("variant")
    midpoints = period_midpoints(12, 30.4375)
    low, high = discount_factors(0.035, midpoints[[-1, 0]])
    for column in ("cost", "qalys"):
        ratio = on[column] / off[column]
        assert ((ratio > low) & (ratio < high)).all(), column


BAD = {
    "1.5": ("variants.discount", "0 <= rate < 1"),
    "{costs: -0.01}": ("variants.discount.costs", "0 <= rate < 1"),
    "{qalys: yes}": ("variants.discount.qalys", "0 <= rate < 1"),
    "{cost: 0.03}": ("variants.discount.cost", "unknown key 'cost'"),
}


@pytest.mark.parametrize("value", sorted(BAD))
def test_bad_rates_exit_2_with_file_line_and_field(tmp_path, value):
    field, message = BAD[value]
    path = tmp_path / "bad.yaml"
    path.write_text(tiny(value))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "# HERE" in t)
    done = CliRunner().invoke(app, ["compare", str(path), "--out", str(tmp_path / "o")])
    output = " ".join(done.output.split())
    assert done.exit_code == 2, output
    assert f"{path}:{line}: field '{field}'" in output and message in output, output
    assert "Traceback" not in output and not (tmp_path / "o").exists()
