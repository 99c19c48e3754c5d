"""Calibration targets by subgroup (``by``: targeted, baseline quartile or quantile) and
ratios of effects (``per``), hand-computed from the runs' physician figures."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.calibration.plan import plan_calibration
from simulate.calibration.target_spec import Target
from simulate.calibration.targets import effect_ratio, model_value
from simulate.compare.subgroups import labels_of, parse_by, quantile_count, quartile_index
from simulate.compare.window import Window, unit_window_values
from simulate.errors import ScenarioError
from simulate.model.world import run_replication
from simulate.scenario.loader import bundled_dir

WORLD = f"""\
extends: {bundled_dir() / "baseline_ffs.yaml"}
name: letters
horizon_periods: 8
warmup_periods: 1
behaviour: {{model: adaptive}}
peer_pressure:
  metrics: [intensity]
  start_period: 4
  targeting: {{select: worst, metric: intensity, share: 0.4, window: 4}}
variants:
  list:
    - name: control
    - name: letter
      set: {{peer_pressure: {{transparency: private_feedback}}}}
calibration:
  replications: 2
  parameters:
    - {{path: peer_pressure.reputation_value, low: 100, high: 10000}}
  targets:
    - {{name: top, metric: episodes, by: "baseline-quantile:intensity:5", subgroup: Q5,
       effect: {{of: letter, against: control}}, window: 5-8, value: 0, se: 1}}
    - {{name: reached, metric: intensity, by: targeted, subgroup: targeted,
       effect: {{of: letter, against: control, scale: relative}}, window: 5-8,
       value: -0.03, se: 0.01}}
    - {{name: gap, metric: episodes, by: "baseline-quantile:intensity:5", subgroup: Q5,
       versus: organisation, variant: control, baseline: 2-4, window: 5-8, value: 0, se: 1}}
"""


def test_quantiles_generalise_quartiles():
    values = np.array([5.0, 1.0, np.nan, 3.0, 2.0, 4.0])  # ranks: 1->0, 2->1, 3->2, 4->3, 5->4
    assert quartile_index(values, 5).tolist() == [4, 0, 5, 2, 1, 3]
    assert quartile_index(values, 2).tolist() == [1, 0, 2, 0, 0, 1]  # floor(2 rank / 5)
    assert quartile_index(values).tolist() == quartile_index(values, 4).tolist()
    assert parse_by("baseline-quantile:intensity:5") == ("baseline-quantile", "intensity")
    assert quantile_count("baseline-quantile:intensity:5") == 5
    assert quantile_count("baseline-quartile:cost") == 4
    assert labels_of("baseline-quantile:cost:3") == ("Q1", "Q2", "Q3", "no baseline")
    assert labels_of("targeted") == ("targeted", "untargeted")
    for bad in ("baseline-quantile:intensity", "baseline-quantile:intensity:1", "quintile"):
        with pytest.raises(ScenarioError, match="baseline-quantile:"):
            parse_by(bad)


def test_a_ratio_of_effects_pairs_replications_with_the_delta_method():
    assert effect_ratio(np.array([12.0, 14.0]), np.array([10.0, 10.0]), np.array([11.0, 12.0])) == (
        pytest.approx(2.0),  # mean(d) 3 / mean(e) 1.5
        pytest.approx(0.0),  # d = 2 e exactly
    )
    theta, noise = effect_ratio(np.array([1.0, 3.0]), np.zeros(2), np.ones(2))
    assert theta == pytest.approx(2.0)
    assert noise == pytest.approx(1.0)  # d - 2e = [-1, 1]: variance 2, over n mean(e)^2 = 2
    ratio = Target.model_validate(
        {
            "name": "r",
            "metric": "cost",
            "value": 1,
            "se": 1,
            "effect": {"of": "a", "against": "c", "per": "b"},
        }
    )
    runs = {"a": np.array([12.0, 14.0]), "c": np.array([10.0, 10.0]), "b": np.array([11.0, 12.0])}
    assert ratio.variants("c") == ("a", "c", "b")
    assert model_value(ratio, runs, "c")[0] == pytest.approx(2.0)


def test_a_quantile_target_pools_its_physicians(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text(WORLD)
    plan = plan_calibration(path)
    evaluator = plan.evaluator
    assert plan.evaluator.baselines[0] == Window(
        "baseline", 2, 5
    )  # before the feedback shapes practice
    kind = plan.kinds.index(("letters", "control"))
    _, _, scenario = payload = evaluator.prepare((kind, None))
    result = run_replication(scenario, 0)
    baseline = unit_window_values(scenario, [result], Window("b", 2, 5), level="physician")
    window = unit_window_values(scenario, [result], Window("w", 5, 8), level="physician")
    n = len(baseline)  # 11 physicians: rank k is in quintile floor(5k/11); Q5 is k = 9, 10
    top = baseline.sort_values("intensity", kind="stable").index[-2:]
    assert n == 11
    expected = window.loc[top, "episodes"].sum()  # episodes per month add up
    measured = evaluator.evaluate(payload, 0)
    assert measured["target:top"] == pytest.approx(expected)
    # versus: organisation: the group's figure minus all physicians' pooled
    assert measured["target:gap"] == pytest.approx(expected - window["episodes"].sum())


def test_quantiles_are_the_same_in_policy_and_control_runs(tmp_path):
    """Common random numbers: the months before the policy are the same in every variant,
    so a run's own baseline quantiles compare the same physicians."""
    path = tmp_path / "cal.yaml"
    path.write_text(WORLD)
    plan = plan_calibration(path)
    groups = []
    for variant in ("control", "letter"):
        _, _, scenario = plan.evaluator.prepare((plan.kinds.index(("letters", variant)), None))
        result = run_replication(scenario, 1)
        groups.append(
            quartile_index(
                unit_window_values(scenario, [result], Window("b", 2, 5), level="physician")[
                    "intensity"
                ].to_numpy(),
                5,
            )
        )
    assert groups[0].tolist() == groups[1].tolist()


def test_targeted_physicians_come_from_the_policy_run(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text(WORLD)
    plan = plan_calibration(path)
    policy, control = (plan.kinds.index(("letters", v)) for v in ("letter", "control"))
    assert plan.evaluator.membership[1] == policy
    _, _, letter = plan.evaluator.prepare((policy, None))
    reached = run_replication(letter, 0).targeted[4:8].any(axis=0)
    assert reached.sum() == 4  # 40% of 11 rounded half up
    _, _, scenario = payload = plan.evaluator.prepare((control, None))
    rows = unit_window_values(
        scenario, [run_replication(scenario, 0)], Window("w", 5, 8), "physician"
    )
    episodes = rows["episodes"].to_numpy()
    # intensity is a per-episode mean: pooled over the reached physicians by their episodes
    resource = rows["intensity"].to_numpy() * episodes
    expected = resource[reached].sum() / episodes[reached].sum()
    assert plan.evaluator.evaluate(payload, 0)["target:reached"] == pytest.approx(expected)


def test_a_ratio_names_a_variant_of_its_world(tmp_path):
    path = tmp_path / "cal.yaml"
    extra = (
        "    - {name: r, metric: cost, value: 1, se: 1, "
        "effect: {of: letter, against: control, per: bonus}}\n"
    )
    path.write_text(WORLD + extra)
    with pytest.raises(ScenarioError) as caught:
        plan_calibration(path)
    assert caught.value.field == "calibration.targets[3].effect.per"
    assert caught.value.line == WORLD.count("\n") + 1
    assert "has no variant 'bonus'" in caught.value.message
