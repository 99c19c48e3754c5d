"""Peer pressure's pure parts on hand-computed cases: norms and reputational loss."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.accounts.ledger import PHYSICIAN_FIELDS, F
from simulate.behaviour import peer
from simulate.scenario.models import PeerPressure


def test_norms_median_and_top_decile_follow_the_metric_direction():
    """Each physician's norm is over their teammates, themselves excluded."""
    values = np.array([0.10, 0.20, 0.30, 0.40, 0.50, 0.60, np.nan])
    team = np.array([0, 0, 0, 0, 0, 0, 1])
    median = peer.peer_norms(values, team, "median", False)
    assert median[0] == pytest.approx(0.40)  # 0.2-0.6 without 0.1
    assert median[5] == pytest.approx(0.30)  # 0.1-0.5 without 0.6
    # lower is better: the top decile is the 10th percentile (0.2 + 0.4 x 0.1)
    assert peer.peer_norms(values, team, "top_decile", False)[0] == pytest.approx(0.24)
    assert peer.peer_norms(values, team, "top_decile", True)[0] == pytest.approx(0.56)
    assert np.isnan(median[6])  # alone in the team: no norm


def comparison(shown, norm_values, transparency="private_feedback", **settings):
    """Physicians in one team comparing readmission rates (lower is better)."""
    config = PeerPressure(transparency=transparency, metrics=["readmission_rate"], **settings)
    shown = {"readmission_rate": np.asarray(shown, dtype=float)}
    norms = {"readmission_rate": np.asarray(norm_values, dtype=float)}
    return peer.Comparison(shown, norms, np.zeros(len(norm_values), int), config)


def test_conformity_is_the_squared_relative_gap_and_top_decile_counts_only_shortfall():
    candidates = {"readmission_rate": np.array([[0.12, 0.08, 0.10]])}
    median = comparison([0.1], [0.10], norm="median", conformity=2.0)
    assert median.loss(candidates)[0] == pytest.approx([2 * 0.2**2, 2 * 0.2**2, 0.0])
    top = comparison([0.1], [0.10], norm="top_decile", conformity=2.0)
    assert top.loss(candidates)[0] == pytest.approx([2 * 0.2**2, 0.0, 0.0])  # better: free
    assert comparison([0.1], [np.nan], conformity=2.0).loss(candidates)[0].tolist() == [0, 0, 0]


def test_rank_concern_counts_peers_ranked_above_only_when_peers_can_see():
    """Value, higher is better: physician 4 (0.02) against teammates 0.01-0.04."""
    shown = [0.01, 0.02, 0.03, 0.04, 0.02]
    settings = {"metrics": ["value"], "conformity": 0.0, "rank_concern": 0.5}
    config = PeerPressure(transparency="internal_dashboard", **settings)
    seen = peer.Comparison(
        {"value": np.array(shown)}, {"value": np.full(5, 0.02)}, np.zeros(5, int), config
    )
    candidates = np.tile([0.025, 0.05], (5, 1))
    above = seen.share_above(candidates[None])[0]
    assert above[4] == pytest.approx([2 / 4, 0.0])  # 0.03 and 0.04 of four teammates
    assert above[3] == pytest.approx([1 / 4, 0.0])  # their own 0.04 is not a peer
    assert seen.loss({"value": candidates})[4] == pytest.approx([0.5 * 2 / 4, 0.0])
    private = peer.Comparison(
        {"value": np.array(shown)},
        {"value": np.full(5, 0.02)},
        np.zeros(5, int),
        config.model_copy(update={"transparency": "private_feedback"}),
    )
    assert private.loss({"value": candidates})[4].tolist() == [0.0, 0.0]
    assert peer.VISIBILITY["none"] == 0 < peer.VISIBILITY["private_feedback"]
    assert peer.VISIBILITY["internal_dashboard"] < peer.VISIBILITY["public"]


def test_metrics_add_up_and_teams_compare_within_themselves():
    """Two metrics add; a physician's rank counts teammates only (teams 0, 0, 1)."""
    config = PeerPressure(
        transparency="internal_dashboard",
        metrics=["value", "cost_per_episode"],
        conformity=1.0,
        rank_concern=1.0,
    )
    shown = {"value": np.array([0.02, 0.03, 0.05]), "cost_per_episode": np.array([10.0, 20.0, 1.0])}
    norms = {"value": np.full(3, 0.02), "cost_per_episode": np.full(3, 10.0)}
    seen = peer.Comparison(shown, norms, np.array([0, 0, 1]), config)
    loss = seen.loss({"value": np.array([[0.01]] * 3), "cost_per_episode": np.array([[15.0]] * 3)})
    # physician 0: value gap -0.5 (0.25) + 1 peer above (1.0); cost gap 0.5 (0.25) + 0
    assert loss[0, 0] == pytest.approx(0.25 + 1.0 + 0.25 + 0.0)
    assert loss[2, 0] == pytest.approx(0.25 + 0.25)  # alone in team 1: no rank


def test_the_lead_pulls_the_norm_of_the_others_only():
    norm = np.array([10.0, 10.0, 10.0, np.nan])
    pulled = peer.lead_norms(
        norm, np.array([4.0, 4.0, np.nan, 4.0]), 0.5, np.array([1, 0, 0, 0]) == 1
    )
    assert pulled.tolist() == [10.0, 7.0, 10.0, 4.0]  # lead unchanged; no lead figure: stands


def test_published_figures_come_from_ledger_sums():
    sums = np.zeros((2, len(PHYSICIAN_FIELDS)))
    sums[0, [F["episodes"], F["complications"], F["readmissions"]]] = [50, 2, 5]
    sums[0, [F["cost"], F["qalys"]]] = [1_000_000, 20]
    figures = peer.published_metrics(sums)
    assert figures["complication_rate"][0] == pytest.approx(0.04)
    assert figures["readmission_rate"][0] == pytest.approx(0.10)
    assert figures["cost_per_episode"][0] == pytest.approx(20_000)
    assert figures["value"][0] == pytest.approx(0.02)
    assert all(np.isnan(figures[name][1]) for name in figures)  # no episodes: no figure


def test_peer_pressure_end_before_start_is_refused():
    from simulate.errors import ScenarioError
    from simulate.scenario import load_scenario

    with pytest.raises(ScenarioError, match="before start_period"):
        load_scenario(
            "baseline_ffs", ["peer_pressure.start_period=12", "peer_pressure.end_period=3"]
        )


def test_a_style_free_figure_without_episodes_costs_nothing():
    """A dashboard on the mean wait: a physician without index episodes in the window
    has no published figure, so no candidate figure and no loss (not NaN)."""
    config = PeerPressure(
        transparency="private_feedback", metrics=["mean_wait_days"], conformity=1.0
    )
    sums = np.zeros((3, len(PHYSICIAN_FIELDS)))
    sums[:2, [F["episodes"], F["treatment_starts"]]] = 10
    sums[:2, F["wait_days"]] = [20.0, 40.0]
    shown = peer.published_metrics(sums)
    assert np.isnan(shown["mean_wait_days"][2]) and shown["mean_wait_days"][1] == 4.0
    norms = {"mean_wait_days": np.array([4.0, 2.0, 3.0])}
    seen = peer.Comparison(shown, norms, np.zeros(3, int), config)
    expect = {"cost_per_episode": np.ones((3, 2))}
    loss = seen.loss(peer.candidate_metrics(expect, shown, ("mean_wait_days",)))
    assert loss[2].tolist() == [0.0, 0.0]
    assert loss[1] == pytest.approx([1.0, 1.0])  # (4 - 2) / 2 = 1, the same for any style
