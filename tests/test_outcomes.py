"""The pure outcome and cost functions move in the documented directions and sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulate.clinical import outcomes
from simulate.scenario.models import Clinical

CLINICAL = Clinical()
REF = CLINICAL.reference_quality_effort


def test_baseline_rates_apply_at_guideline_style():
    p = outcomes.complication_probability(0.03, 1.0, 1.0, REF, CLINICAL)
    r = outcomes.readmission_probability(0.2, 1.0, REF, 0.0, CLINICAL)
    assert p == pytest.approx(0.03)
    assert r == pytest.approx(0.2)


def test_full_quality_effort_cuts_complications_by_the_checklist_effect():
    """From reference effort 0.5 to full adherence: about 36% fewer complications (Haynes 2009)."""
    low = outcomes.complication_probability(0.11, 1.0, 1.0, REF, CLINICAL)
    high = outcomes.complication_probability(0.11, 1.0, 1.0, 1.0, CLINICAL)
    assert high / low == pytest.approx(math.exp(-CLINICAL.effort_complication_effect * 0.5))
    assert 0.60 < high / low < 0.68


def test_underprovision_raises_complications_and_overprovision_does_not_lower_them():
    at_guideline = outcomes.complication_probability(0.05, 1.0, 1.0, REF, CLINICAL)
    below = outcomes.complication_probability(0.05, 1.0, 0.7, REF, CLINICAL)
    above = outcomes.complication_probability(0.05, 1.0, 1.5, REF, CLINICAL)
    assert below == pytest.approx(0.05 * math.exp(CLINICAL.underprovision_effect * 0.3))
    assert above == pytest.approx(at_guideline)


def test_probabilities_are_capped():
    p = outcomes.complication_probability(0.9, 5.0, 0.5, 0.0, CLINICAL)
    r = outcomes.readmission_probability(0.9, 5.0, 0.0, 0.0, CLINICAL)
    assert p == CLINICAL.max_probability
    assert r == CLINICAL.max_probability


def test_coordination_and_effort_lower_readmissions():
    base = outcomes.readmission_probability(0.2, 1.0, REF, 0.0, CLINICAL)
    coordinated = outcomes.readmission_probability(0.2, 1.0, REF, 1.0, CLINICAL)
    diligent = outcomes.readmission_probability(0.2, 1.0, 1.0, 0.0, CLINICAL)
    assert coordinated == pytest.approx(base * (1 - CLINICAL.coordination_readmission_effect))
    assert diligent < base
    risky = outcomes.readmission_probability(0.2, 1.8, REF, 0.0, CLINICAL)
    assert risky == pytest.approx(1.8 * base)


def test_benefit_is_one_at_guideline_increasing_and_concave():
    grid = np.linspace(0.2, 2.0, 19)
    benefit = outcomes.benefit_factor(grid, CLINICAL)
    assert outcomes.benefit_factor(1.0, CLINICAL) == pytest.approx(1.0)
    steps = np.diff(benefit)
    assert np.all(steps > 0)
    assert np.all(np.diff(steps) < 0)  # flat of the curve: each step adds less


def test_health_gain_losses_from_complication_and_readmission():
    clean = outcomes.health_gain(0.6, 1.0, 0, 0, CLINICAL)
    both = outcomes.health_gain(0.6, 1.0, 1, 1, CLINICAL)
    assert clean == pytest.approx(0.6)
    expected = 0.6 * (1 - CLINICAL.complication_qaly_loss) * (1 - CLINICAL.readmission_qaly_loss)
    assert both == pytest.approx(expected)


def test_costs_scale_with_intensity_and_complications():
    base = outcomes.episode_cost(20000, 1.0, 1.0, 0, CLINICAL)
    more = outcomes.episode_cost(20000, 1.0, 1.2, 0, CLINICAL)
    complicated = outcomes.episode_cost(20000, 1.4, 1.0, 1, CLINICAL)
    assert base == pytest.approx(20000)
    assert more == pytest.approx(24000)
    assert complicated == pytest.approx(20000 * 1.4 * (1 + CLINICAL.complication_cost_share))
    readmission = outcomes.readmission_cost(20000, 1.0, 1.0, CLINICAL)
    assert readmission == pytest.approx(20000 * CLINICAL.readmission_cost_share)


def test_treatment_time_is_guideline_at_reference_style_and_grows_with_intensity_and_effort():
    assert outcomes.treatment_time_factor(1.0, REF, CLINICAL) == pytest.approx(1.0)
    longer = outcomes.treatment_time_factor(1.44, REF, CLINICAL)
    assert longer == pytest.approx(1.44**CLINICAL.time_intensity_elasticity)
    assert outcomes.treatment_time_factor(1.0, 1.0, CLINICAL) > 1.0


def test_recovery_days_mean_and_spread():
    u = np.linspace(0, 1, 10001)
    days = outcomes.recovery_days(20.0, 0, u, CLINICAL)
    assert days.mean() == pytest.approx(20.0, rel=1e-3)
    assert days.min() == pytest.approx(10.0) and days.max() == pytest.approx(30.0)
    longer = outcomes.recovery_days(20.0, 1, 0.5, CLINICAL)
    assert longer == pytest.approx(20.0 * (1 + CLINICAL.complication_recovery_share))
