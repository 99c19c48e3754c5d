"""Accepted calibration sets as a joint distribution, population EVPI and the tornado
table (simulate/psa/calibration_sets.py, analysis.py, tornado.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from simulate.cli import app
from simulate.errors import ScenarioError
from simulate.psa.analysis import population_factor, with_population
from simulate.psa.calibration_sets import read_accepted
from simulate.psa.plan import plan_psa
from simulate.psa.tornado import tornado_table
from simulate.scenario.loader import bundled_dir

BASE = (
    "name: tiny_psa\n"
    f"extends: {bundled_dir() / 'baseline_ffs.yaml'}\n"
    "horizon_periods: 3\n"
    "warmup_periods: 1\n"
    "replications: 2\n"
    "variants:\n"
    "  list:\n"
    "    - name: ffs\n"
    "    - name: salary\n"
    "      set: {payment: {fee_for_service: null, salary: {annual: 150000}}}\n"
    "uncertainty:\n"
    "  draws: 400\n"
    "  tornado: false\n"
)
ACCEPTED = (
    "set,weight,conditions[0].base_cost,physician_traits.altruism.a\n"
    "0,1,1000,1.5\n"
    "1,3,2000,2.5\n"
    "2,0,9999,9.9\n"
)


def test_accepted_sets_are_drawn_whole_by_weight(tmp_path):
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "accepted.csv").write_text(ACCEPTED)
    path = tmp_path / "psa.yaml"
    path.write_text(
        BASE + "  from_calibration: sets/accepted.csv\n  parameters:\n"
        "    - path: physician_traits.peer_sensitivity.a\n"
        "      distribution: {type: uniform, low: 8, high: 12}\n"
    )
    plan = plan_psa(path)
    draws = plan.draws
    pairs = set(
        draws[["conditions[0].base_cost", "physician_traits.altruism.a"]].itertuples(
            index=False, name=None
        )
    )
    assert pairs == {(1000.0, 1.5), (2000.0, 2.5)}  # whole rows; weight 0 never drawn
    # a Latin hypercube on the weighted CDF: exactly 1/4 and 3/4 of 400 draws
    assert (draws["conditions[0].base_cost"] == 2000).sum() == 300
    assert (
        draws["physician_traits.peer_sensitivity.a"].between(8, 12).all()
    )  # the independent parameter too
    assert "calibrated set (2 parameters)" in plan.groups
    assert plan.fingerprint() == plan_psa(path).fingerprint()  # seeded, reproducible


def test_weighted_mean_and_percentiles_of_the_sets(tmp_path):
    (tmp_path / "a.csv").write_text(ACCEPTED)
    sets = read_accepted(tmp_path / "a.csv")
    assert sets.mean() == pytest.approx([1750.0, 2.25])  # weights 1/4, 3/4, 0
    assert sets.quantile(0.025).tolist() == [1000.0, 1.5]
    assert sets.quantile(0.975).tolist() == [2000.0, 2.5]


BAD_FILES = {
    "set,weight\n0,1\n": (1, None, "one column per dotted path"),
    "weight,set,a\n1,0,2\n": (1, None, "set, weight, then"),
    "set,weight,teams[0].nurses\n0,-1,3\n": (2, "weight", "a number >= 0"),
    "set,weight,teams[0].nurses\n0,1,abc\n": (2, "teams[0].nurses", "a finite number"),
    "set,weight,teams[0].nurses\n0,1\n": (2, None, "2 values for 3 columns"),
    "set,weight,teams[0].nursez\n0,1,3\n": (1, "teams[0].nursez", "nursez"),
}


@pytest.mark.parametrize("text", sorted(BAD_FILES))
def test_bad_accepted_files_name_file_line_and_column(tmp_path, text):
    line, field, message = BAD_FILES[text]
    (tmp_path / "accepted.csv").write_text(text)
    path = tmp_path / "psa.yaml"
    path.write_text(BASE + "  from_calibration: accepted.csv\n")
    with pytest.raises(ScenarioError) as caught:
        plan_psa(path)
    error = caught.value
    assert error.file == str(tmp_path / "accepted.csv") and error.line == line
    assert error.field == field and message in error.message


def test_a_missing_file_exits_2_at_the_scenario_line(tmp_path):
    path = tmp_path / "psa.yaml"
    path.write_text(BASE + "  from_calibration: nowhere.csv\n")
    done = CliRunner().invoke(app, ["psa", str(path), "--dry-run"])
    output = " ".join(done.output.split())
    assert done.exit_code == 2 and "Traceback" not in output
    assert f"{path}:14: field 'uncertainty.from_calibration'" in output, output


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("  population: 1000\n", "uncertainty"),
        ("  population: -5\n  years: 3\n", "uncertainty.population"),
    ],
)
def test_population_needs_years_and_a_positive_size(tmp_path, extra, field):
    path = tmp_path / "psa.yaml"
    path.write_text(
        BASE + extra + "  parameters:\n    - path: teams[0].nurses\n"
        "      distribution: {type: uniform, low: 8, high: 12}\n"
    )
    done = CliRunner().invoke(app, ["psa", str(path), "--dry-run"])
    assert done.exit_code == 2 and f"field '{field}" in " ".join(done.output.split())


def test_population_evpi_is_the_per_person_value_over_the_discounted_years():
    # EVPI 50 per period for an organisation treating 10 people a period is 5 per person;
    # 1,000 people a year for 2 years at 3.5% (mid-year): 5 x 1000 x (1.035^-0.5 + 1.035^-1.5)
    factor = population_factor(10.0, 1000.0, 2, 0.035)
    assert 50 * factor == pytest.approx(5 * 1000 * (1.035**-0.5 + 1.035**-1.5))
    decision = pd.DataFrame({"variant": ["a", "b"], "evpi_20000": [50.0, 50.0]})
    evppi = pd.DataFrame({"evppi": [20.0], "evppi_se": [2.0]})
    d, e = with_population(decision, evppi, factor, [20000.0])
    assert d["population_evpi_20000"].tolist() == pytest.approx([50 * factor] * 2)
    assert e["population_evppi"].iloc[0] == pytest.approx(20 * factor)
    assert e["population_evppi_se"].iloc[0] == pytest.approx(2 * factor)


def test_tornado_table_from_hand_made_runs():
    # settings: base, x low, x high; INB(b vs a) at threshold 10 = 10 (qalys_b - qalys_a)
    settings = pd.DataFrame(
        {
            "x": [5.0, 1.0, 9.0],
            "parameter": ["base", "x", "x"],
            "column": ["", "x", "x"],
            "level": ["base", "low", "high"],
        }
    )
    rows = []
    for i, q in enumerate([2.0, 1.0, 4.0]):
        for k in range(2):
            rows.append(
                {
                    "draw": 7 + i,
                    "variant": "a",
                    "replication": k,
                    "perspective_cost": 0.0,
                    "qalys": 0.0,
                }
            )
            rows.append(
                {
                    "draw": 7 + i,
                    "variant": "b",
                    "replication": k,
                    "perspective_cost": 3.0,
                    "qalys": q + (k - 0.5),
                }
            )
    table = tornado_table(pd.DataFrame(rows), settings, 7, ["a", "b"], "a", 10.0, 2)
    row = table.iloc[0]
    assert len(table) == 1 and row["variant"] == "b" and row["parameter"] == "x"
    assert (row["low_value"], row["high_value"]) == (1.0, 9.0)
    assert row["incremental_nmb_base"] == pytest.approx(10 * 2 - 3)
    assert row["incremental_nmb_low"] == pytest.approx(10 * 1 - 3)
    assert row["incremental_nmb_high"] == pytest.approx(10 * 4 - 3)
    assert row["swing"] == pytest.approx(30)
    # a setting missing a replication is left out
    partial = pd.DataFrame(rows[:-1])
    assert tornado_table(partial, settings, 7, ["a", "b"], "a", 10.0, 2).empty
    assert np.isfinite(table["swing"]).all()
