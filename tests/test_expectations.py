"""What a physician expects per episode (simulate/behaviour/expectations.py), against the
outcome functions it is built from, hand-computed case-mix means and selection."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.behaviour.expectations import (
    CaseMix,
    case_mix_means,
    effort_split,
    expected_per_episode,
    selected_weights,
)
from simulate.clinical import outcomes
from simulate.incentives.base_payment import BasePayment


@pytest.fixture(scope="module")
def world():
    scenario = simulate.load_scenario("baseline_ffs")
    return scenario, CaseMix.of(scenario), BasePayment.from_scenario(scenario)


def one_cell(c: int, k: int) -> np.ndarray:
    """Case-mix weights with every patient in condition c, severity class k."""
    weights = np.zeros((2, 2))
    weights[c, k] = 1.0
    return weights


def test_one_cell_is_the_outcome_functions_themselves(world):
    scenario, mix, payment = world
    clinical, cond, cls = scenario.clinical, scenario.conditions[1], scenario.severity.classes[1]
    i, e, coordination = 1.3, 0.6, 0.4
    got = expected_per_episode(i, e, one_cell(1, 1), coordination, mix, payment, scenario)
    p_c = outcomes.complication_probability(
        cond.complication_rate, cls.relative_risk, i, e, clinical
    )
    p_r = outcomes.readmission_probability(
        cond.readmission_rate, cls.relative_risk, e, coordination, clinical
    )
    cost = outcomes.episode_cost(cond.base_cost, cls.cost_weight, i, p_c, clinical)
    cost += p_r * outcomes.readmission_cost(cond.base_cost, cls.cost_weight, i, clinical)
    assert got["complication_rate"] == pytest.approx(p_c)
    assert got["readmission_rate"] == pytest.approx(p_r)
    assert got["cost_per_episode"] == pytest.approx(cost)
    assert got["qalys_per_episode"] == pytest.approx(
        outcomes.health_gain(cond.health_gain_qalys, i, p_c, p_r, clinical)
    )
    assert got["high_risk_share"] == pytest.approx(1.0)
    assert got["kept_share"] == pytest.approx(1.0)


def test_a_mix_is_the_weighted_mean_of_its_cells_for_every_candidate(world):
    scenario, mix, payment = world
    weights = np.array([[0.5, 0.2], [0.24, 0.06]])
    styles = np.array([[0.8, 0.3], [1.0, 0.5], [1.6, 0.9]])  # [K, (intensity, effort)]
    mixed = expected_per_episode(styles[:, 0], styles[:, 1], weights, 0.2, mix, payment, scenario)
    for name in ("complication_rate", "readmission_rate", "cost_per_episode", "qalys_per_episode"):
        cells = [
            expected_per_episode(
                styles[:, 0], styles[:, 1], one_cell(c, k), 0.2, mix, payment, scenario
            )[name]
            for c in range(2)
            for k in range(2)
        ]
        by_hand = sum(w * cell for w, cell in zip(weights.ravel(), cells, strict=True))
        assert np.broadcast_to(mixed[name], (3,)) == pytest.approx(by_hand)
    assert mixed["high_risk_share"] == pytest.approx(0.26)
    known = case_mix_means(weights, mix)
    again = expected_per_episode(
        styles[:, 0], styles[:, 1], weights, 0.2, mix, payment, scenario, case_mix_means=known
    )
    for name, values in known.items():
        assert np.array_equal(again[name], values)


def test_declining_high_risk_patients_reweights_the_mix_and_keeps_fewer(world):
    _, mix, _ = world
    weights = np.array([[0.4, 0.1], [0.4, 0.1]])  # 20% high risk
    kept_weights, kept = selected_weights(weights, np.array([0.0, 0.5, 1.0]), mix.high_risk)
    assert kept.tolist() == pytest.approx([1.0, 0.9, 0.8])
    assert kept_weights[1].sum() == pytest.approx(1.0)
    assert kept_weights[1][:, 1].sum() == pytest.approx(0.1 / 0.9)  # half the high-risk kept
    assert kept_weights[2][:, 1].sum() == 0.0


def test_focus_moves_effort_between_the_two_outcomes_within_0_1():
    comp, readm = effort_split(np.array([0.6, 0.8]), np.array([0.5, 0.5]))
    assert comp.tolist() == pytest.approx([0.3, 0.4])
    assert readm.tolist() == pytest.approx([0.9, 1.0])  # 1.2 clipped to 1
    same = effort_split(np.array([0.6, 1.2]), 0.0)
    assert same[0].tolist() == same[1].tolist() == [0.6, 1.0]
