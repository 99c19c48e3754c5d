"""Metrics from ledger sums: rates, means, percentiles, value and risk adjustment.

One function serves every level (physician, team, organisation) and every window (one
period in trajectories, the post-warm-up periods in summaries, a rule's evaluation
window at period close), so what the payer pays on and what the tables report are
computed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from simulate.accounts.catalogue import METRIC_CATALOGUE
from simulate.accounts.ledger import PAYMENT_COMPONENTS, F, T
from simulate.accounts.wait_histogram import quantiles, share_above

PAYMENT_COLUMNS: tuple[str, ...] = (
    *(f"payment_{name}" for name in PAYMENT_COMPONENTS),
    "payment_incentives",
)
METRIC_UNITS: dict[str, str] = {
    name: metric.unit for name, metric in METRIC_CATALOGUE.items() if metric.column
}
"""Every metric column, in output order, with its unit (from the catalogue)."""
METRICS: tuple[str, ...] = tuple(METRIC_UNITS)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is not positive."""
    return np.divide(numerator, np.where(denominator > 0, denominator, np.nan))


COST_SCALE = 1000.0
"""Value is QALYs per this many currency units of cost."""


def value(qalys: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Value: QALYs per 1,000 currency units of cost (NaN where cost is not positive);
    the one home of its formula (window sums and a physician's expected figures alike)."""
    return ratio(qalys, cost / COST_SCALE)


class MetricView(Mapping[str, np.ndarray]):
    """Metrics from sums over a window, each computed on first access and kept.

    ``sums`` is [..., physician fields], ``hist`` [..., wait bins], ``team_sums``
    [..., team fields] (None or NaN at physician level, where queue metrics are NaN).
    Flows are divided by ``periods`` (1 gives window totals); the window lasts ``days``.
    """

    def __init__(
        self,
        sums: np.ndarray,
        hist: np.ndarray,
        team_sums: np.ndarray | None,
        periods: float,
        days: float,
        wait_target_days: float,
    ) -> None:
        self.sums, self.hist, self.team_sums = sums, hist, team_sums
        self.periods, self.days, self.wait_target_days = periods, days, wait_target_days
        self._cache: dict[str, np.ndarray] = {}

    def field(self, name: str) -> np.ndarray:
        """A physician field of the sums (``accounts.ledger.F``)."""
        return self.sums[..., F[name]]

    def team_field(self, name: str) -> np.ndarray:
        """A team field of the sums (NaN where there are none)."""
        if self.team_sums is None:
            return np.full(self.sums.shape[:-1], np.nan)
        return self.team_sums[..., T[name]]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = _FORMULAS[name](self)
        return self._cache[name]

    def __iter__(self):
        return iter(METRICS)

    def __len__(self) -> int:
        return len(METRICS)


def _per_field(field: str, over: str = "episodes") -> Callable[[MetricView], np.ndarray]:
    return lambda m: ratio(m.field(field), m.field(over))


def _flow(field: str) -> Callable[[MetricView], np.ndarray]:
    return lambda m: m.field(field) / m.periods


def _payment_total(m: MetricView) -> np.ndarray:
    total = np.zeros(m.field("episodes").shape)
    for column in PAYMENT_COLUMNS:
        total = total + m.field(column.removeprefix("payment_"))
    return total / m.periods


_FORMULAS: dict[str, Callable[[MetricView], np.ndarray]] = {
    "arrivals": lambda m: m.team_field("arrivals") / m.periods,
    "episodes": _flow("episodes"),
    "readmission_episodes": _flow("readmission_episodes"),
    "cost": _flow("cost"),
    "cost_per_episode": _per_field("cost"),
    "resource_use_per_episode": _per_field("resource_use"),
    "complication_rate": _per_field("complications"),
    "readmission_rate": _per_field("readmissions"),
    "complication_ratio": _per_field("complications", "expected_complications"),
    "readmission_ratio": _per_field("readmissions", "expected_readmissions"),
    "high_risk_share": _per_field("high_risk_episodes"),
    "mean_wait_days": _per_field("wait_days", "treatment_starts"),
    "p95_wait_days": lambda m: quantiles(m.hist, 0.95),
    "share_waiting_over_target": lambda m: share_above(m.hist, m.wait_target_days),
    "mean_queue_length": lambda m: m.team_field("queue_area") / m.days,
    "turned_away": lambda m: m.team_field("turned_away") / m.periods,
    "declined": _flow("declined"),
    "recovery_days": _per_field("recovery_days"),
    "qalys": _flow("qalys"),
    "value": lambda m: value(m.field("qalys"), m.field("cost")),
    "intensity": _per_field("intensity"),
    "quality_effort": _per_field("quality_effort"),
    **{column: _flow(column.removeprefix("payment_")) for column in PAYMENT_COLUMNS},
    "payment_total": _payment_total,
    "qalys_per_episode": _per_field("qalys"),
}
"""Each metric's formula from window sums: the one place a metric is computed."""


def compute_metrics(
    sums: np.ndarray,
    hist: np.ndarray,
    team_sums: np.ndarray | None,
    periods: float,
    days: float,
    wait_target_days: float,
) -> dict[str, np.ndarray]:
    """Every metric (``METRICS``) from sums over a window (see :class:`MetricView`)."""
    view = MetricView(sums, hist, team_sums, periods, days, wait_target_days)
    return {name: view[name] for name in METRICS}


def unit_sums(
    physician: np.ndarray, hist: np.ndarray, team: np.ndarray, membership: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums for every reporting unit: physicians, then teams, then the organisation.

    ``physician`` is [..., physician, field], ``hist`` [..., physician, bin], ``team``
    [..., team, team field], ``membership`` [physician, team] (1 where a member). The
    results stack units along the second-to-last axis; physicians get NaN team fields.
    """
    team_phys = np.einsum("...nf,nt->...tf", physician, membership)
    team_hist = np.einsum("...nb,nt->...tb", hist, membership.astype(hist.dtype))
    sums = np.concatenate([physician, team_phys, physician.sum(axis=-2, keepdims=True)], axis=-2)
    hists = np.concatenate([hist, team_hist, hist.sum(axis=-2, keepdims=True)], axis=-2)
    nan_rows = np.full((*physician.shape[:-1], team.shape[-1]), np.nan)
    team_sums = np.concatenate([nan_rows, team, team.sum(axis=-2, keepdims=True)], axis=-2)
    return sums, hists, team_sums
