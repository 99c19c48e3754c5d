"""Peer pressure: the published dashboard, the norm, and the reputational loss of a style.

Pure numpy. A physician compares what they expect to show on the dashboard with the norm
of their peer group (their team: like is compared with like). Conformity is the squared
relative gap to the norm (Brock & Durlauf 2001); with the top-decile norm (an achievable
benchmark) only a shortfall counts. Where everyone sees everyone (internal dashboard,
public reporting), rank concern adds the share of peers ranked above.
"""

from __future__ import annotations

import numpy as np

from simulate.model.ledger import F
from simulate.scenario.models import PeerPressure

VISIBILITY = {"none": 0.0, "private_feedback": 0.5, "internal_dashboard": 1.0, "public": 1.5}
"""Weight of reputational loss by transparency level (assumption; see docs/model.md)."""
RANKED = frozenset({"internal_dashboard", "public"})
"""Levels at which peers see each other's rank."""
HIGHER_IS_BETTER = {
    "complication_rate": False,
    "readmission_rate": False,
    "cost_per_episode": False,
    "value": True,
    "qalys_per_episode": True,
}


def published_metrics(physician_sums: np.ndarray) -> dict[str, np.ndarray]:
    """Dashboard figures per physician from ledger sums [physician, field] over a window."""
    s = {name: physician_sums[:, index] for name, index in F.items()}
    episodes = s["episodes"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "complication_rate": np.where(episodes > 0, s["complications"] / episodes, np.nan),
            "readmission_rate": np.where(episodes > 0, s["readmissions"] / episodes, np.nan),
            "cost_per_episode": np.where(episodes > 0, s["cost"] / episodes, np.nan),
            "value": np.where(s["cost"] > 0, s["qalys"] / (s["cost"] / 1000.0), np.nan),
            "qalys_per_episode": np.where(episodes > 0, s["qalys"] / episodes, np.nan),
        }


def candidate_metrics(expect: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The same figures a physician expects under candidate styles (``expected_per_episode``)."""
    return {
        "complication_rate": expect["complication_rate"],
        "readmission_rate": expect["readmission_rate"],
        "cost_per_episode": expect["cost_per_episode"],
        "value": expect["qalys_per_episode"] / (expect["cost_per_episode"] / 1000.0),
        "qalys_per_episode": expect["qalys_per_episode"],
    }


def peer_norm(values: np.ndarray, peers: np.ndarray, norm: str, higher_is_better: bool) -> float:
    """The benchmark among ``values[peers]``: median or top decile (NaN without data)."""
    data = values[peers]
    data = data[~np.isnan(data)]
    if len(data) == 0:
        return float("nan")
    if norm == "top_decile":
        return float(np.percentile(data, 90 if higher_is_better else 10))
    return float(np.median(data))


def reputational_loss(
    candidates: np.ndarray,
    norm_value: float,
    peer_values: np.ndarray,
    higher_is_better: bool,
    config: PeerPressure,
) -> np.ndarray:
    """Loss (unit-free, before sensitivity and value) of each candidate figure."""
    if np.isnan(norm_value) or norm_value == 0:
        return np.zeros(len(candidates))
    sign = 1.0 if higher_is_better else -1.0
    gap = sign * (candidates - norm_value) / abs(norm_value)  # positive: better than the norm
    if config.norm == "top_decile":
        gap = np.minimum(gap, 0.0)  # an achievable benchmark: only a shortfall hurts
    loss = config.conformity * gap**2
    if config.transparency in RANKED:
        peers = np.sort(sign * peer_values[~np.isnan(peer_values)])
        if len(peers):
            above = len(peers) - np.searchsorted(peers, sign * candidates, side="right")
            loss = loss + config.rank_concern * above / len(peers)
    return loss


def lead_norm(norm_value: float, lead_value: float, influence: float, is_lead: bool) -> float:
    """The team norm pulled toward the team lead's figure by ``influence`` (share 0-1).

    The lead's own norm is the plain peer norm; without a lead figure, the norm stands.
    """
    if is_lead or influence == 0 or np.isnan(lead_value):
        return norm_value
    if np.isnan(norm_value):
        return float(lead_value)
    return float((1.0 - influence) * norm_value + influence * lead_value)
