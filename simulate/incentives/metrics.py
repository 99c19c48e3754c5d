"""Metrics from ledger sums: rates, means, percentiles, value and risk adjustment.

One function serves every level (physician, team, organisation) and every window (one
period in trajectories, the post-warm-up periods in summaries, a rule's evaluation
window at period close), so what the payer pays on and what the tables report are
computed the same way.
"""

from __future__ import annotations

import numpy as np

from simulate.incentives.base_payment import PAYMENT_COMPONENTS
from simulate.model.ledger import F, T
from simulate.model.wait_histogram import quantiles, share_above

PAYMENT_COLUMNS: tuple[str, ...] = (
    *(f"payment_{name}" for name in PAYMENT_COMPONENTS),
    "payment_incentives",
)
METRIC_UNITS: dict[str, str] = {
    "arrivals": "new patients per period",
    "episodes": "index episodes per period",
    "readmission_episodes": "readmission episodes per period",
    "cost": "currency per period",
    "cost_per_episode": "currency per index episode (readmissions included)",
    "complication_rate": "share of index episodes",
    "readmission_rate": "share of index episodes",
    "complication_ratio": "observed / expected complications (expected from severity)",
    "readmission_ratio": "observed / expected readmissions (expected from severity)",
    "high_risk_share": "share of index episodes",
    "mean_wait_days": "days",
    "p95_wait_days": "days",
    "share_waiting_over_target": "share of treatment starts",
    "mean_queue_length": "patients",
    "turned_away": "episodes refused at a full queue per period",
    "declined": "high-risk patients declined (referred elsewhere) per period",
    "recovery_days": "days per index episode",
    "qalys": "QALYs per period",
    "value": "QALYs per 1,000 currency units of cost",
    "intensity": "resources relative to guideline, mean per index episode",
    "quality_effort": "share 0-1, mean per index episode",
    **{name: "currency per period" for name in PAYMENT_COLUMNS},
    "payment_total": "currency per period",
}
"""Every metric column, in output order, with its unit."""
METRICS: tuple[str, ...] = tuple(METRIC_UNITS)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, NaN where the denominator is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    return np.where(denominator > 0, out, np.nan)


def compute_metrics(
    sums: np.ndarray,
    hist: np.ndarray,
    team_sums: np.ndarray | None,
    periods: float,
    days: float,
    wait_target_days: float,
) -> dict[str, np.ndarray]:
    """Metric arrays from sums over a window of ``periods`` periods lasting ``days`` days.

    ``sums`` is [..., physician fields], ``hist`` [..., wait bins], ``team_sums``
    [..., team fields] (None or NaN at physician level, where queue metrics are NaN).
    Flows are divided by ``periods`` (1 gives window totals).
    """
    s = {name: sums[..., index] for name, index in F.items()}
    episodes = s["episodes"]
    nan = np.full(episodes.shape, np.nan)
    team = {name: team_sums[..., i] for name, i in T.items()} if team_sums is not None else None
    out: dict[str, np.ndarray] = {
        "arrivals": team["arrivals"] / periods if team else nan,
        "episodes": episodes / periods,
        "readmission_episodes": s["readmission_episodes"] / periods,
        "cost": s["cost"] / periods,
        "cost_per_episode": ratio(s["cost"], episodes),
        "complication_rate": ratio(s["complications"], episodes),
        "readmission_rate": ratio(s["readmissions"], episodes),
        "complication_ratio": ratio(s["complications"], s["expected_complications"]),
        "readmission_ratio": ratio(s["readmissions"], s["expected_readmissions"]),
        "high_risk_share": ratio(s["high_risk_episodes"], episodes),
        "mean_wait_days": ratio(s["wait_days"], s["treatment_starts"]),
        "p95_wait_days": quantiles(hist, 0.95),
        "share_waiting_over_target": share_above(hist, wait_target_days),
        "mean_queue_length": team["queue_area"] / days if team else nan,
        "turned_away": team["turned_away"] / periods if team else nan,
        "declined": s["declined"] / periods,
        "recovery_days": ratio(s["recovery_days"], episodes),
        "qalys": s["qalys"] / periods,
        "value": ratio(s["qalys"], s["cost"] / 1000.0),
        "intensity": ratio(s["intensity"], episodes),
        "quality_effort": ratio(s["quality_effort"], episodes),
    }
    total = np.zeros(episodes.shape)
    for column in PAYMENT_COLUMNS:
        amount = s[column.removeprefix("payment_")]
        out[column] = amount / periods
        total = total + amount
    out["payment_total"] = total / periods
    return {name: out[name] for name in METRICS}


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
