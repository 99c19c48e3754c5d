"""The metric catalogue: one entry per metric, read by every other part of the code."""

from __future__ import annotations

import numpy as np
import pytest

from simulate.accounts import metrics
from simulate.accounts.catalogue import (
    CATALOGUE,
    KEY_METRICS,
    METRIC_CATALOGUE,
    PEER_METRICS,
    higher_is_better,
    key_metrics,
)
from simulate.accounts.ledger import F


def test_every_catalogue_metric_has_a_formula_and_every_formula_an_entry():
    assert set(metrics._FORMULAS) == set(METRIC_CATALOGUE)
    columns = [name for name, m in METRIC_CATALOGUE.items() if m.column]
    assert list(metrics.METRICS) == columns
    assert "qalys_per_episode" not in metrics.METRICS  # dashboards only, not a column
    assert all(m.label and m.unit for m in METRIC_CATALOGUE.values())


def test_rules_pay_on_catalogue_metrics_and_dashboards_show_style_dependent_ones():
    assert list(CATALOGUE) == [
        "episodes", "cost", "cost_per_episode", "resource_use_per_episode", "complication_rate",
        "readmission_rate", "high_risk_share", "mean_wait_days", "p95_wait_days",
        "share_waiting_over_target", "mean_queue_length", "recovery_days", "qalys", "value",
        "intensity", "quality_effort", "qalys_per_episode",
    ]  # fmt: skip
    assert CATALOGUE["mean_queue_length"].team_only and not CATALOGUE["cost"].team_only
    assert {m for m, s in CATALOGUE.items() if s.risk_adjustable} == {
        "complication_rate",
        "readmission_rate",
    }
    assert set(PEER_METRICS) == set(CATALOGUE)  # every metric a rule pays on, a dashboard shows


def test_directions_and_key_metrics():
    assert [m for m in METRIC_CATALOGUE if higher_is_better(m)] == [
        "episodes", "high_risk_share", "qalys", "value", "quality_effort", "qalys_per_episode",
    ]  # fmt: skip
    assert not higher_is_better("value_change") and not higher_is_better("unknown")
    assert CATALOGUE["value"].sign == 1.0 and CATALOGUE["cost"].sign == -1.0
    assert KEY_METRICS == (
        "episodes", "cost_per_episode", "complication_rate", "readmission_rate",
        "mean_wait_days", "recovery_days", "qalys", "value",
    )  # fmt: skip
    # extras come in catalogue order, between the key metrics
    assert key_metrics("p95_wait_days")[4:7] == (
        "mean_wait_days",
        "p95_wait_days",
        "recovery_days",
    )


def test_dashboard_figures_use_the_metric_formulas():
    """Peer pressure publishes the catalogue's peer metrics by the formulas of
    ``accounts.metrics`` (value: QALYs per 1,000 currency; NaN without episodes or cost)."""
    from simulate.behaviour import peer

    sums = np.zeros((2, len(F)))
    sums[0, [F["episodes"], F["complications"], F["cost"], F["qalys"]]] = [4, 1, 2000, 3]
    shown = peer.published_metrics(sums)
    assert set(shown) == set(PEER_METRICS)
    assert shown["complication_rate"][0] == 0.25
    assert shown["cost_per_episode"][0] == 500
    assert shown["value"][0] == pytest.approx(1.5)
    assert shown["qalys_per_episode"][0] == 0.75
    assert all(np.isnan(v[1]) for v in shown.values())
    expect = {
        "complication_rate": np.array([0.1]),
        "readmission_rate": np.array([0.2]),
        "cost_per_episode": np.array([500.0]),
        "qalys_per_episode": np.array([0.75]),
    }
    assert peer.candidate_metrics(expect)["value"][0] == pytest.approx(1.5)


def test_resource_use_per_episode_is_intensity_at_guideline_prices():
    """Resource use per episode: the ledger's resource use (base cost x cost weight x
    intensity, no complication or readmission costs) over index episodes."""
    view = metrics.MetricView(np.zeros((1, len(F))), np.zeros((1, 1)), None, 1.0, 30.0, 2.0)
    view.sums[0, [F["episodes"], F["resource_use"], F["cost"]]] = [4, 36_000, 50_000]
    assert view["resource_use_per_episode"][0] == 9_000
    assert view["cost_per_episode"][0] == 12_500


def test_the_world_books_resource_use_at_guideline_prices(short_scenario):
    """Every episode books base cost x cost weight x intensity: under fixed styles, the
    physician's resource use over their episodes is below cost (complications and
    readmissions add), and resource use / intensity is a case-mix price between the
    cheapest and the dearest condition x severity."""
    from simulate.model.world import run_replication

    scenario = short_scenario("baseline_ffs")
    result = run_replication(scenario, 0)
    sums = result.physician.sum(axis=0)
    used, cost = sums[:, F["resource_use"]], sums[:, F["cost"]]
    assert np.all(used > 0) and np.all(used < cost)
    prices = [
        c.base_cost * k.cost_weight for c in scenario.conditions for k in scenario.severity.classes
    ]
    price = used / sums[:, F["intensity"]]
    assert np.all(price >= min(prices) - 1e-6) and np.all(price <= max(prices) + 1e-6)


def test_every_catalogue_metric_is_accepted_by_peer_pressure_and_a_target_rule():
    """A dashboard may show, and a target rule may pay on, every metric of the catalogue;
    each dashboard figure has a candidate figure for a physician's best response."""
    from simulate.behaviour import peer
    from simulate.incentives.rules import Target
    from simulate.scenario.models import PeerPressure

    expect = {
        name: np.full((2, 3), 0.5)
        for name in (
            "complication_rate", "readmission_rate", "cost_per_episode",
            "resource_use_per_episode", "qalys_per_episode", "high_risk_share", "intensity",
            "quality_effort",
        )
    }  # fmt: skip
    shown = {name: np.array([1.0, 2.0]) for name in PEER_METRICS}
    for name in CATALOGUE:
        assert PeerPressure(transparency="private_feedback", metrics=[name]).metrics == (name,)
        level = "team" if CATALOGUE[name].team_only else "physician"
        rule = Target(type="target", metric=name, level=level, threshold=1.0, bonus=100)
        assert rule.metric == name
        figure = peer.candidate_metrics(expect, shown, (name,))[name]
        assert figure.shape == (2, 3) and np.all(np.isfinite(figure))
    # flows: published episodes x the expected figure per episode; waits as published
    both = peer.candidate_metrics(expect, shown, ("cost", "p95_wait_days"))
    assert both["cost"][1].tolist() == [1.0] * 3 and both["p95_wait_days"][1].tolist() == [2.0] * 3
