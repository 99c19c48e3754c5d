"""Metrics from ledger sums: rates, means, percentiles and value, with units.

One function serves every level (physician, team, organisation) and every time window
(one period in trajectories, all post-warm-up periods in summaries), so the figures in
``trajectories.csv`` and ``summary.csv`` are computed the same way.
"""

from __future__ import annotations

import numpy as np

from simulate.incentives.base_payment import PAYMENT_COMPONENTS
from simulate.model.ledger import F, T
from simulate.model.wait_histogram import quantiles

METRIC_UNITS: dict[str, str] = {
    "arrivals": "new patients per period",
    "episodes": "index episodes per period",
    "readmission_episodes": "readmission episodes per period",
    "cost": "currency per period",
    "cost_per_episode": "currency per index episode (readmissions included)",
    "complication_rate": "share of index episodes",
    "readmission_rate": "share of index episodes",
    "high_risk_share": "share of index episodes",
    "mean_wait_days": "days",
    "p95_wait_days": "days",
    "mean_queue_length": "patients",
    "recovery_days": "days per index episode",
    "qalys": "QALYs per period",
    "value": "QALYs per 1,000 currency units of cost",
    "intensity": "resources relative to guideline, mean per index episode",
    "quality_effort": "share 0-1, mean per index episode",
    **{f"payment_{name}": "currency per period" for name in PAYMENT_COMPONENTS},
    "payment_total": "currency per period",
}
"""Every metric column, in output order, with its unit."""
METRICS: tuple[str, ...] = tuple(METRIC_UNITS)
FLOW_METRICS = frozenset(
    ["arrivals", "episodes", "readmission_episodes", "cost", "qalys"]
    + [f"payment_{name}" for name in PAYMENT_COMPONENTS]
    + ["payment_total"]
)
"""Metrics that are totals over time; summaries report them per period."""


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    return np.where(denominator > 0, out, np.nan)


def compute_metrics(
    sums: np.ndarray,
    hist: np.ndarray,
    team_sums: np.ndarray | None,
    periods: float,
    days: float,
) -> dict[str, np.ndarray]:
    """Metric arrays from sums over a window of ``periods`` periods lasting ``days`` days.

    ``sums`` is [..., physician fields], ``hist`` [..., wait bins], ``team_sums``
    [..., team fields] (None at physician level, where queue metrics are NaN).
    """
    s = {name: sums[..., index] for name, index in F.items()}
    episodes = s["episodes"]
    out: dict[str, np.ndarray] = {}
    nan = np.full(episodes.shape, np.nan)
    out["arrivals"] = team_sums[..., T["arrivals"]] / periods if team_sums is not None else nan
    out["episodes"] = episodes / periods
    out["readmission_episodes"] = s["readmission_episodes"] / periods
    out["cost"] = s["cost"] / periods
    out["cost_per_episode"] = _ratio(s["cost"], episodes)
    out["complication_rate"] = _ratio(s["complications"], episodes)
    out["readmission_rate"] = _ratio(s["readmissions"], episodes)
    out["high_risk_share"] = _ratio(s["high_risk_episodes"], episodes)
    out["mean_wait_days"] = _ratio(s["wait_days"], s["treatment_starts"])
    out["p95_wait_days"] = quantiles(hist, 0.95)
    out["mean_queue_length"] = (
        team_sums[..., T["queue_area"]] / days if team_sums is not None else nan
    )
    out["recovery_days"] = _ratio(s["recovery_days"], episodes)
    out["qalys"] = s["qalys"] / periods
    out["value"] = _ratio(s["qalys"], s["cost"] / 1000.0)
    out["intensity"] = _ratio(s["intensity"], episodes)
    out["quality_effort"] = _ratio(s["quality_effort"], episodes)
    total = np.zeros(episodes.shape)
    for name in PAYMENT_COMPONENTS:
        out[f"payment_{name}"] = s[name] / periods
        total = total + s[name]
    out["payment_total"] = total / periods
    return {name: out[name] for name in METRICS}
