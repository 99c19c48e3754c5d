"""A target's model value and noise from per-replication values, and its units."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulate.calibration.target_spec import Z95, Target
from simulate.calibration.targets import model_value, subgroup_units
from simulate.scenario.loader import load_scenario


def target(**extra) -> Target:
    return Target.model_validate({"name": "t", "metric": "cost", "value": 1.0, "se": 1.0, **extra})


def test_a_level_is_the_mean_with_the_variance_of_the_mean():
    mean, noise = model_value(target(), {"a": np.array([1.0, 2.0, 6.0])}, "a")
    assert mean == 3.0
    assert noise == pytest.approx(7.0 / 3)  # sample variance (1+4+9)/2 = 7, over n = 3


def test_an_absolute_effect_pairs_the_replications():
    effect = target(effect={"of": "p", "against": "c"})
    runs = {"p": np.array([11.0, 14.0]), "c": np.array([10.0, 10.0])}  # differences 1, 4
    mean, noise = model_value(effect, runs, "c")
    assert mean == 2.5 and noise == pytest.approx(4.5 / 2)


def test_a_relative_effect_is_the_mean_ratio_minus_one():
    effect = target(effect={"of": "p", "against": "c", "scale": "relative"})
    runs = {"p": np.array([9.0, 18.0]), "c": np.array([10.0, 20.0])}  # -10% both times
    mean, noise = model_value(effect, runs, "c")
    assert mean == pytest.approx(-0.1) and noise == pytest.approx(0.0)
    assert math.isnan(model_value(effect, {"p": np.array([1.0]), "c": np.array([0.0])}, "c")[0])


def test_a_ci_gives_its_half_width_over_1_96_as_se():
    t = Target.model_validate({"name": "t", "metric": "cost", "value": 0.0, "ci": [-1.96, 1.96]})
    assert t.standard_error == pytest.approx(1.96 / Z95)


def test_subgroups_choose_units_by_name_or_team(short_scenario):
    scenario = short_scenario("baseline_ffs")
    assert subgroup_units(target(), scenario) == ["organisation"]
    assert subgroup_units(target(level="team"), scenario) == ["orthopaedics", "medicine"]
    medicine = subgroup_units(target(level="physician", subgroup="medicine"), scenario)
    assert medicine == [f"medicine.0{k}" for k in range(1, 6)]
    assert subgroup_units(target(level="physician", subgroup="medicine.02"), scenario) == [
        "medicine.02"
    ]
    with pytest.raises(ValueError, match="orthopaedics"):
        subgroup_units(target(level="team", subgroup="cardio"), scenario)


def test_windows_default_to_the_months_after_warm_up():
    scenario = load_scenario("baseline_ffs", ["horizon_periods=12", "warmup_periods=3"])
    window = target().window_of(scenario)
    assert (window.first_month, window.last_month) == (4, 12)
    assert (target(window="5-8").window_of(scenario).first_month, 8) == (5, 8)
    with pytest.raises(ValueError, match="after the horizon"):
        target(window="5-13").window_of(scenario)


def test_measure_reads_the_window_level_and_subgroup(short_scenario):
    from simulate.calibration.targets import measure
    from simulate.compare.window import window_values
    from simulate.model.world import run_replication

    scenario = short_scenario("baseline_ffs")
    result = run_replication(scenario, 0)
    whole = target(metric="episodes")
    org = measure(whole, whole.window_of(scenario), scenario, result)
    assert org == pytest.approx(window_values(scenario, [result])["episodes"].iloc[0])
    team = target(metric="episodes", level="team")
    per_team = measure(team, team.window_of(scenario), scenario, result)
    assert per_team == pytest.approx(org / 2)  # episodes per period: the teams add up
    early = target(metric="episodes", window="2-3")
    assert measure(early, early.window_of(scenario), scenario, result) != org


def test_a_policy_phase_names_a_window():
    scenario = load_scenario("peer_comparison", ["horizon_periods=18"])
    during = target(window="during").window_of(scenario)
    # feedback published from the close of period 12 (month 13) shapes month 14 on
    assert (during.first_month, during.last_month) == (14, 18)
    with pytest.raises(ValueError, match="no policy phase 'after'"):
        target(window="after").window_of(scenario)
