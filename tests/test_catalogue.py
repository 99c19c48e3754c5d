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
        "episodes", "cost", "cost_per_episode", "complication_rate", "readmission_rate",
        "high_risk_share", "mean_wait_days", "p95_wait_days", "share_waiting_over_target",
        "mean_queue_length", "recovery_days", "qalys", "value",
    ]  # fmt: skip
    assert CATALOGUE["mean_queue_length"].team_only and not CATALOGUE["cost"].team_only
    assert {m for m, s in CATALOGUE.items() if s.risk_adjustable} == {
        "complication_rate",
        "readmission_rate",
    }
    assert set(PEER_METRICS) == {
        "complication_rate", "readmission_rate", "cost_per_episode", "value", "qalys_per_episode",
    }  # fmt: skip


def test_directions_and_key_metrics():
    assert [m for m in METRIC_CATALOGUE if higher_is_better(m)] == [
        "episodes", "high_risk_share", "qalys", "value", "qalys_per_episode",
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
