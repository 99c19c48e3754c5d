"""Peer pressure's pure parts on hand-computed cases: norms and reputational loss."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.behaviour import peer
from simulate.model.ledger import PHYSICIAN_FIELDS, F
from simulate.scenario.models import PeerPressure


def test_norms_median_and_top_decile_follow_the_metric_direction():
    values = np.array([0.10, 0.20, 0.30, 0.40, 0.50, np.nan])
    everyone = np.arange(6)
    assert peer.peer_norm(values, everyone, "median", False) == pytest.approx(0.30)
    # lower is better: the top decile is the 10th percentile
    assert peer.peer_norm(values, everyone, "top_decile", False) == pytest.approx(0.14)
    assert peer.peer_norm(values, everyone, "top_decile", True) == pytest.approx(0.46)
    assert np.isnan(peer.peer_norm(values, np.array([5]), "median", True))


def test_conformity_is_the_squared_relative_gap_and_top_decile_counts_only_shortfall():
    median = PeerPressure(transparency="private_feedback", norm="median", conformity=2.0)
    loss = peer.reputational_loss(np.array([0.12, 0.08, 0.10]), 0.10, np.array([]), False, median)
    assert loss == pytest.approx([2 * 0.2**2, 2 * 0.2**2, 0.0])  # both sides, private: no rank
    top = PeerPressure(transparency="private_feedback", norm="top_decile", conformity=2.0)
    loss = peer.reputational_loss(np.array([0.12, 0.08]), 0.10, np.array([]), False, top)
    assert loss == pytest.approx([2 * 0.2**2, 0.0])  # better than the benchmark costs nothing


def test_rank_concern_counts_peers_ranked_above_only_when_peers_can_see():
    peers = np.array([0.01, 0.02, 0.03, 0.04])  # higher is better
    shown = PeerPressure(transparency="internal_dashboard", conformity=0.0, rank_concern=0.5)
    loss = peer.reputational_loss(np.array([0.025, 0.05]), 0.02, peers, True, shown)
    assert loss == pytest.approx([0.5 * 2 / 4, 0.0])
    private = shown.model_copy(update={"transparency": "private_feedback"})
    assert peer.reputational_loss(np.array([0.025]), 0.02, peers, True, private) == [0.0]
    assert peer.VISIBILITY["none"] == 0 < peer.VISIBILITY["private_feedback"]
    assert peer.VISIBILITY["internal_dashboard"] < peer.VISIBILITY["public"]


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
