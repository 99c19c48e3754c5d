"""Behaviour mechanisms, one test each (``simulate.behaviour.mechanisms``), and the
registry: sections, the adaptive-only check, the style dimensions they declare."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.accounts.ledger import F, PeriodLedger
from simulate.behaviour.mechanisms import (
    MECHANISMS,
    STYLE_DIMENSIONS,
    CrowdingOut,
    Dimension,
    LeadInfluence,
    Multitasking,
    PeerPressure,
    ReferralShift,
    Selection,
    style_dimensions,
)
from simulate.errors import ScenarioError
from simulate.scenario.consistency import inconsistencies
from simulate.scenario.models import Scenario


def scenario(*overrides: str) -> Scenario:
    return simulate.load_scenario("baseline_ffs", overrides=list(overrides))


def test_registry_sections_exist_and_dimensions_are_declared_once():
    assert list(MECHANISMS) == [
        "multitasking", "selection", "crowding_out", "peer_pressure", "lead_influence",
        "referral_shift", "organisational_response",
    ]  # fmt: skip
    for cls in MECHANISMS.values():  # each mechanism's section is a schema entry
        model = Scenario
        for part in cls.section:
            assert part in model.model_fields, (cls.name, part)
            model = model.model_fields[part].annotation
    assert STYLE_DIMENSIONS == ("intensity", "quality_effort", "focus", "selection")
    assert style_dimensions(scenario()) == []
    assert not any(cls.enabled(scenario()) for cls in MECHANISMS.values())


def test_adaptive_only_mechanisms_need_adaptive_physicians():
    adaptive = scenario(
        "behaviour.model=adaptive",
        "behaviour.multitasking.enabled=true",
        "behaviour.crowding_out.enabled=true",
    )
    assert inconsistencies(adaptive) == []
    fixed = adaptive.behaviour.model_copy(update={"model": "fixed"})
    problems = inconsistencies(adaptive.model_copy(update={"behaviour": fixed}))
    assert [path for path, _ in problems] == [
        ("behaviour", "multitasking", "enabled"),
        ("behaviour", "crowding_out", "enabled"),
    ]
    assert "needs behaviour.model: adaptive (the model is 'fixed')" in problems[0][1]


def test_multitasking_adds_a_focus_dimension_at_its_own_cost():
    s = scenario(
        "behaviour.model=adaptive",
        "behaviour.multitasking.enabled=true",
        "behaviour.multitasking.max_focus=0.4",
        "behaviour.multitasking.shift_cost=1500",
        "behaviour.adjustment_cost=6000",
    )
    assert Multitasking.enabled(s)
    assert style_dimensions(s) == [Dimension("focus", -0.4, 0.4, 5, 0.25)]


def test_selection_adds_a_declined_share_with_a_quadratic_cost():
    s = scenario(
        "behaviour.model=adaptive",
        "behaviour.selection.enabled=true",
        "behaviour.selection.max_share=0.3",
        "behaviour.selection.cost=200",
        "behaviour.multitasking.enabled=true",
    )
    assert [d.name for d in style_dimensions(s)] == ["focus", "selection"]  # declared order
    assert style_dimensions(s)[1] == Dimension("selection", 0.0, 0.3, 5, 0.0)
    assert Selection.cost(s, np.array([0.0, 0.1, 0.3])) == pytest.approx([0.0, 1.0, 9.0])
    with pytest.raises(ScenarioError, match="no severity class has high_risk: true"):
        scenario(
            "behaviour.model=adaptive",
            "behaviour.selection.enabled=true",
            "severity.classes[1].high_risk=false",
        )


def test_crowding_out_erodes_motivation_with_the_share_of_pay_at_risk():
    s = scenario(
        "behaviour.model=adaptive",
        "behaviour.crowding_out.enabled=true",
        "behaviour.crowding_out.strength=2",
        "behaviour.crowding_out.recovery=0.1",
        "behaviour.crowding_out.window=2",
    )
    mechanism = CrowdingOut(s, 3)
    ledger = PeriodLedger(3, 3, 1)
    ledger.physician[:, :, F["fee_for_service"]] = 450.0  # 900 over the window
    ledger.physician[1, :, F["incentives"]] = [-100.0, 100.0, 0.0]  # at risk: |amount|
    mechanism.at_close(1, ledger)
    # share = 100 / 1000; m = 1 - 2 x 0.1 x 1 + 0.1 x 0 = 0.8; no pay at risk: stays 1
    assert mechanism.motivation == pytest.approx([0.8, 0.8, 1.0])
    mechanism.at_close(2, ledger)  # window: periods 1-2, the same share
    assert mechanism.motivation[0] == pytest.approx(0.8 - 2 * 0.1 * 0.8 + 0.1 * 0.2)


def test_lead_influence_pulls_the_norm_toward_the_team_lead():
    s = scenario("peer_pressure.lead_influence=0.25")
    team_of = np.array([0, 0, 0, 1, 1])
    pull = LeadInfluence(s, team_of)
    assert LeadInfluence.enabled(s)
    assert pull.lead_of.tolist() == [0, 0, 0, 3, 3]
    norm = np.array([[10.0, 10.0, 10.0, 4.0, 4.0]])
    shown = np.array([[20.0, 0.0, 0.0, 8.0, 0.0]])
    # members: 0.75 x norm + 0.25 x lead's figure; leads keep the plain norm
    assert pull.pull(norm, shown).tolist() == [[10.0, 12.5, 12.5, 4.0, 5.0]]


def test_peer_pressure_publishes_on_schedule_and_remembers_own_history():
    s = scenario(
        "peer_pressure.transparency=internal_dashboard",
        "peer_pressure.metrics=[complication_rate]",
        "peer_pressure.norm=own_history",
        "peer_pressure.window=1",
        "peer_pressure.publish_every=2",
        "peer_pressure.conformity=1",
        "peer_pressure.reputation_value=1000",
    )
    mechanism = PeerPressure(s, np.array([0, 1]))
    ledger = PeriodLedger(6, 2, 1)
    ledger.physician[:, :, F["episodes"]] = 10.0
    for period, rates in enumerate([(1, 2), (1, 2), (3, 4), (3, 4), (5, 6), (5, 6)]):
        ledger.physician[period, :, F["complications"]] = rates
    mechanism.at_close(0, ledger)
    assert mechanism.dashboard is None  # published at the close of periods 1, 3, 5
    mechanism.at_close(1, ledger)
    assert mechanism.dashboard["complication_rate"].tolist() == [0.1, 0.2]
    assert mechanism.history is None  # nothing earlier to compare with
    mechanism.at_close(3, ledger)
    assert mechanism.history["complication_rate"].tolist() == [0.1, 0.2]
    mechanism.at_close(5, ledger)  # running mean of the publications of periods 1 and 3
    assert mechanism.history["complication_rate"] == pytest.approx([0.2, 0.3])
    assert mechanism.publications == 3
    expect = {"complication_rate": np.array([[0.2, 0.4], [0.3, 0.3]])}
    for name in ("readmission_rate", "cost_per_episode", "qalys_per_episode"):
        expect[name] = np.ones((2, 2))
    # conformity 1 x squared relative gap to the own-history norm, x visibility 1 x 1000
    loss = mechanism.loss(expect)
    assert loss[0] == pytest.approx([0.0, 1000.0])  # (0.4 - 0.2) / 0.2 = 1
    assert loss[1, 1] == pytest.approx(0.0)


def test_referral_shift_ranks_physicians_and_reroutes_patients():
    s = scenario(
        "peer_pressure.transparency=public",
        "peer_pressure.referral_shift=0.5",
        "peer_pressure.end_period=2",
    )
    assert ReferralShift.enabled(s)
    team_of = np.array([0, 0, 1, 1])
    routes = [(np.array([0, 1]), np.array([0.5, 1.0])), (np.array([1]), np.array([1.0]))]
    mechanism = ReferralShift(s, team_of, routes)
    rank, cut = mechanism.rank, mechanism.route_cut
    ledger = PeriodLedger(4, 4, 2)
    ledger.physician[:, :, F["cost"]] = 1000.0
    ledger.physician[0, :, F["qalys"]] = [1.0, 2.0, 1.0, 1.0]  # value 1, 2 | 1, 1
    mechanism.at_close(0, ledger)
    assert rank == [1, 0, 0, 1]  # within each team; ties: lower index first
    # team values 1.5 vs 1.0: capacity x (1 + 0.5 x score), score +1 / -1
    assert cut[0] == pytest.approx([0.75, 1.0]) and cut[1] == [1.0]
    mechanism.at_close(3, ledger)  # lapsed: rankings and routing back to capacity
    assert rank == [0, 0, 0, 0] and cut[0] == [0.5, 1.0]
    assert mechanism.rank is rank and mechanism.route_cut is cut  # updated in place
