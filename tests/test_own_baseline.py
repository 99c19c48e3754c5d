"""Thresholds relative to a unit's own baseline window (target and improvement rules),
on hand-computed cases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from test_rules import NAN, evaluation

from simulate.incentives.rules import Improvement, Target


def test_target_on_the_units_own_baseline():
    """Cost per episode 5% below each unit's own baseline: baselines 10,000 / 20,000 /
    none give thresholds 9,500 / 19,000 / none; 9,400 beats, 19,500 misses, the unit
    without a baseline is paid nothing."""
    own = {"first_period": 0, "last_period": 11, "change": -0.05}
    rule = Target(type="target", metric="cost_per_episode", start_period=12, own_baseline=own,
                  bonus=900, penalty=300)  # fmt: skip
    assert rule.baseline_periods() == range(0, 12)
    amounts, reasons = rule.settle(
        evaluation(
            {"cost_per_episode": [9_400, 19_500, 9_000]},
            baseline={"cost_per_episode": [10_000, 20_000, NAN]},
        )
    )
    assert amounts.tolist() == [900, -300, 0]
    assert "target 9500" in reasons[0] and "target 19000" in reasons[1]
    assert rule.describe() == (
        "bonus 900 for beating -5% on its own figure over periods 0-11, penalty 300 for missing it"
    )


def test_improvement_from_an_own_baseline_window_shifted_by_change():
    """Readmissions over periods 0-5 at 0.20; improvement counts from 0.20 x 0.9 = 0.18:
    0.15 earns 0.03 x 10,000 = 300, 0.19 nothing."""
    own = {"first_period": 0, "last_period": 5, "change": -0.1}
    rule = Improvement(type="improvement", metric="readmission_rate", start_period=12,
                       own_baseline=own, per_unit_improvement=10_000)  # fmt: skip
    assert rule.baseline_periods() == range(0, 6)
    amounts, _ = rule.settle(
        evaluation({"readmission_rate": [0.15, 0.19]}, baseline={"readmission_rate": [0.2, 0.2]})
    )
    assert amounts == pytest.approx([300, 0])


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"type": "target", "metric": "cost", "bonus": 1, "threshold": 5,
          "own_baseline": {"first_period": 0, "last_period": 2}}, "instead of 'threshold'"),
        ({"type": "target", "metric": "cost", "bonus": 1, "start_period": 2,
          "own_baseline": {"first_period": 0, "last_period": 2}}, "must end before start_period"),
        ({"type": "target", "metric": "cost", "bonus": 1, "start_period": 9,
          "own_baseline": {"first_period": 3, "last_period": 2}}, "before first_period"),
        ({"type": "improvement", "metric": "cost", "per_unit_improvement": 1, "start_period": 9,
          "baseline_length": 2, "own_baseline": {"first_period": 0, "last_period": 2}},
         "either 'baseline_length' or 'own_baseline'"),
    ],
)  # fmt: skip
def test_bad_own_baselines_are_refused(rule, says):
    from pydantic import TypeAdapter

    from simulate.incentives.rules import RuleSpec

    with pytest.raises(ValidationError, match=says):
        TypeAdapter(RuleSpec).validate_python(rule)
