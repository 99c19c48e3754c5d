"""The metric catalogue: the one place a metric's name, label, unit, direction, levels,
"key metric" flag and uses (output column, rules, dashboards) are declared.

Its formula from ledger sums lives next door, in ``accounts.metrics._FORMULAS`` (a test
checks the two name the same metrics). Everything else reads this table: the metric
columns and their units (``accounts.metrics.METRICS``), what rules may pay on
(:data:`CATALOGUE`), what a dashboard may show (:data:`PEER_METRICS`), which way is better
(:func:`higher_is_better`) and the metrics tables, figures and terminals lead with
(:func:`key_metrics`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulate.accounts.ledger import PAYMENT_COMPONENTS

LEVELS = ("physician", "team", "organisation")
TEAM_LEVELS = ("team", "organisation")


@dataclass(frozen=True)
class Metric:
    """One metric and what the rest of the code needs to know of it."""

    name: str
    label: str
    """A short title (figure titles, table headings)."""
    unit: str
    """Its unit as reported per period (docs/outputs.md)."""
    higher_is_better: bool = False
    levels: tuple[str, ...] = LEVELS
    """The reporting levels it is defined at (team-only metrics are NaN for physicians)."""
    key: bool = False
    """A key metric: terminals, scorecards, figures and sweeps lead with it."""
    axis_unit: str = ""
    """A short unit for figure axes (default: ``unit``)."""
    column: bool = True
    """A column of trajectories and summaries (False: computed for dashboards only)."""
    payable: bool = False
    """Rules may pay on it (flows are then totals over the rule's window)."""
    risk_adjustable: bool = False
    """Observed/expected from severity is available (indirect standardisation)."""
    peer: bool = False
    """A peer dashboard may show it (every metric a rule may pay on, and the figures of
    ``behaviour/peer.py:candidate_metrics``)."""

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better."""
        return 1.0 if self.higher_is_better else -1.0

    @property
    def team_only(self) -> bool:
        """Defined for teams and the organisation, not for single physicians."""
        return "physician" not in self.levels

    @property
    def short_unit(self) -> str:
        """The axis unit, else the unit."""
        return self.axis_unit or self.unit


MetricSpec = Metric
"""The name rules use for a catalogue entry."""

_SHARE = "share of index episodes"
_PER_PERIOD = "currency per period"

METRIC_CATALOGUE: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("arrivals", "Arrivals", "new patients per period", levels=TEAM_LEVELS),
        Metric(
            "episodes",
            "Episodes",
            "index episodes per period",
            True,
            key=True,
            payable=True,
            peer=True,
        ),
        Metric("readmission_episodes", "Readmission episodes", "readmission episodes per period"),
        Metric("cost", "Cost", _PER_PERIOD, payable=True, peer=True),
        Metric(
            "cost_per_episode",
            "Cost per episode",
            "currency per index episode (readmissions included)",
            key=True,
            axis_unit="currency per index episode",
            payable=True,
            peer=True,
        ),
        Metric(
            "resource_use_per_episode",
            "Resource use per episode",
            "currency per index episode at guideline prices (intensity; no complication "
            "or readmission costs)",
            axis_unit="currency per index episode",
            payable=True,
            peer=True,
        ),
        Metric(
            "complication_rate",
            "Complication rate",
            _SHARE,
            key=True,
            payable=True,
            risk_adjustable=True,
            peer=True,
        ),
        Metric(
            "readmission_rate",
            "Readmission rate",
            _SHARE,
            key=True,
            payable=True,
            risk_adjustable=True,
            peer=True,
        ),
        Metric(
            "complication_ratio",
            "Complication ratio",
            "observed / expected complications (expected from severity)",
        ),
        Metric(
            "readmission_ratio",
            "Readmission ratio",
            "observed / expected readmissions (expected from severity)",
        ),
        Metric("high_risk_share", "High-risk share", _SHARE, True, payable=True, peer=True),
        Metric("mean_wait_days", "Mean wait", "days", key=True, payable=True, peer=True),
        Metric("p95_wait_days", "95th percentile wait", "days", payable=True, peer=True),
        Metric(
            "share_waiting_over_target",
            "Share waiting over target",
            "share of treatment starts",
            payable=True,
            peer=True,
        ),
        Metric(
            "mean_queue_length",
            "Mean queue length",
            "patients",
            levels=TEAM_LEVELS,
            payable=True,
            peer=True,
        ),
        Metric(
            "turned_away",
            "Turned away",
            "episodes refused at a full queue per period",
            levels=TEAM_LEVELS,
        ),
        Metric(
            "declined",
            "Declined",
            "high-risk patients declined (referred elsewhere) per period",
        ),
        Metric(
            "recovery_days",
            "Recovery time",
            "days per index episode",
            key=True,
            payable=True,
            peer=True,
        ),
        Metric(
            "qalys", "QALYs gained", "QALYs per period", True, key=True, payable=True, peer=True
        ),
        Metric(
            "value",
            "Value (QALYs per 1,000 currency)",
            "QALYs per 1,000 currency units of cost",
            True,
            key=True,
            axis_unit="QALYs per 1,000 currency",
            payable=True,
            peer=True,
        ),
        Metric(
            "intensity",
            "Practice intensity",
            "resources relative to guideline, mean per index episode",
            axis_unit="x guideline, per episode",
            payable=True,
            peer=True,
        ),
        Metric(
            "quality_effort",
            "Quality effort",
            "share 0-1, mean per index episode",
            axis_unit="share 0-1, per episode",
            higher_is_better=True,
            payable=True,
            peer=True,
        ),
        *(
            Metric(f"payment_{name}", f"Payments: {name.replace('_', ' ')}", _PER_PERIOD)
            for name in (*PAYMENT_COMPONENTS, "incentives")
        ),
        Metric("payment_total", "Payments to physicians", _PER_PERIOD),
        Metric(
            "qalys_per_episode",
            "QALYs per episode",
            "QALYs per index episode",
            True,
            column=False,
            payable=True,
            peer=True,
        ),
    )
}
"""Every metric, in output column order."""

CATALOGUE: dict[str, Metric] = {n: m for n, m in METRIC_CATALOGUE.items() if m.payable}
"""Metrics rules may name; flows (episodes, cost, qalys) are totals over the window."""

PEER_METRICS: tuple[str, ...] = tuple(n for n, m in METRIC_CATALOGUE.items() if m.peer)
"""Metrics a dashboard can show that depend on a physician's practice style."""


def key_metrics(*also: str) -> tuple[str, ...]:
    """The key metrics and ``also``, in catalogue order."""
    wanted = set(also)
    return tuple(n for n, m in METRIC_CATALOGUE.items() if m.key or n in wanted)


KEY_METRICS: tuple[str, ...] = key_metrics()
"""The key metrics: episodes, cost per episode, complications, readmissions, wait,
recovery, QALYs and value."""


def higher_is_better(metric: str) -> bool:
    """Whether more of ``metric`` is better (a figure outside the catalogue, such as a
    change or a count of bonuses: lower is better). The one home of a metric's direction."""
    entry = METRIC_CATALOGUE.get(metric)
    return entry is not None and entry.higher_is_better
