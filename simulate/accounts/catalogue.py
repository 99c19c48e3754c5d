"""The metric catalogue: what each metric means for a payer, its direction and unit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    """A metric a rule can pay on."""

    name: str
    unit: str
    higher_is_better: bool
    risk_adjustable: bool = False
    """Observed/expected from severity is available (indirect standardisation)."""
    team_only: bool = False
    """Defined for teams and the organisation, not for single physicians."""

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better."""
        return 1.0 if self.higher_is_better else -1.0


CATALOGUE: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("episodes", "index episodes in the window", True),
        MetricSpec("cost", "currency in the window", False),
        MetricSpec("cost_per_episode", "currency per index episode", False),
        MetricSpec("complication_rate", "share of index episodes", False, risk_adjustable=True),
        MetricSpec("readmission_rate", "share of index episodes", False, risk_adjustable=True),
        MetricSpec("high_risk_share", "share of index episodes", True),
        MetricSpec("mean_wait_days", "days", False),
        MetricSpec("p95_wait_days", "days", False),
        MetricSpec("share_waiting_over_target", "share of treatment starts", False),
        MetricSpec("mean_queue_length", "patients", False, team_only=True),
        MetricSpec("recovery_days", "days per index episode", False),
        MetricSpec("qalys", "QALYs in the window", True),
        MetricSpec("value", "QALYs per 1,000 currency units", True),
    )
}
"""Metrics rules may name; flows (episodes, cost, qalys) are totals over the window."""

OTHER_DIRECTIONS: dict[str, bool] = {"qalys_per_episode": True, "qalys": True, "episodes": True}
"""Whether higher is better for figures outside the catalogue that reports compare
(dashboards, scorecards); any other figure is better lower (cost, rates, waits)."""


def higher_is_better(metric: str) -> bool:
    """Whether more of ``metric`` is better: the catalogue's direction, else
    ``OTHER_DIRECTIONS``, else lower is better. The one home of a metric's direction."""
    if metric in CATALOGUE:
        return CATALOGUE[metric].higher_is_better
    return OTHER_DIRECTIONS.get(metric, False)
