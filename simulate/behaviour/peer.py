"""Peer pressure: the published dashboard, the norm, and the reputational loss of a style.

Pure numpy, vectorised over physicians. A physician compares what they expect to show on
the dashboard with the norm of their peer group (their team, themselves excluded: like
is compared with like). Conformity is the squared relative gap to the norm (Brock &
Durlauf 2001); with the top-decile norm (an achievable benchmark) only a shortfall
counts. Where everyone sees everyone (internal dashboard, public reporting), rank
concern adds the share of peers ranked above. Norms and ranks are computed once per
publication; a best response only looks candidates up against them.
"""

from __future__ import annotations

import numpy as np

from simulate.accounts.ledger import F
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


def peer_norms(
    values: np.ndarray, team_of: np.ndarray, norm: str, higher_is_better: bool
) -> np.ndarray:
    """Each physician's benchmark among their teammates' ``values`` (themselves excluded):
    the median or the top decile (percentiles interpolated linearly between order
    statistics, as ``numpy.percentile``); NaN without data."""
    q = 0.5 if norm != "top_decile" else (0.9 if higher_is_better else 0.1)
    out = np.full(len(values), np.nan)
    for team in np.unique(team_of):
        members = np.flatnonzero(team_of == team)
        mates = np.tile(values[members], (len(members), 1))
        np.fill_diagonal(mates, np.nan)
        ranked = np.sort(mates, axis=1)  # NaN last
        count = np.sum(~np.isnan(ranked), axis=1)
        position = q * np.maximum(count - 1, 0)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, np.maximum(count - 1, 0))
        rows = np.arange(len(members))
        below, above = ranked[rows, low], ranked[rows, high]
        value = below + (position - low) * (above - below)
        out[members] = np.where(count > 0, np.where(high == low, below, value), np.nan)
    return out


def lead_norms(
    norm: np.ndarray, lead_value: np.ndarray, influence: float, is_lead: np.ndarray
) -> np.ndarray:
    """Team norms pulled toward each team lead's figure by ``influence`` (share 0-1).

    The lead's own norm is the plain peer norm; without a lead figure, the norm stands.
    """
    if influence == 0:
        return norm
    pulled = np.where(np.isnan(norm), lead_value, (1.0 - influence) * norm + influence * lead_value)
    return np.where(is_lead | np.isnan(lead_value), norm, pulled)


class Ranking:
    """The published figures of one metric, ranked within each team for rank concern."""

    def __init__(self, shown: np.ndarray, team_of: np.ndarray, higher_is_better: bool) -> None:
        self.sign = 1.0 if higher_is_better else -1.0
        self.team_of = team_of
        score = self.sign * shown
        valid = ~np.isnan(score)
        self.sorted = {int(t): np.sort(score[(team_of == t) & valid]) for t in np.unique(team_of)}
        self.own = score[:, None]
        self.own_valid = valid[:, None]
        sizes = np.array([len(self.sorted[int(t)]) for t in team_of])
        self.peers = (sizes - valid)[:, None]
        """Teammates with a figure, the physician excluded [N, 1]."""
        ordered = np.all(np.diff(team_of) >= 0)
        edges = np.flatnonzero(np.diff(team_of)) + 1
        starts, ends = np.r_[0, edges], np.r_[edges, len(team_of)]
        self.blocks = (
            list(zip(team_of[starts].tolist(), starts, ends, strict=True)) if ordered else None
        )

    def share_above(self, candidates: np.ndarray) -> np.ndarray:
        """Per physician and candidate figure [N, K]: share of teammates (with a figure,
        themselves excluded) whose published figure is better."""
        score = self.sign * candidates
        above = np.zeros(score.shape)
        if self.blocks is not None:  # physicians in team order: contiguous blocks
            for team, start, end in self.blocks:
                ranked = self.sorted[team]
                above[start:end] = len(ranked) - np.searchsorted(ranked, score[start:end], "right")
        else:
            for team, ranked in self.sorted.items():
                rows = self.team_of == team
                above[rows] = len(ranked) - np.searchsorted(ranked, score[rows], "right")
        above -= self.own_valid & (self.own > score)  # the physician's own figure
        out = np.zeros(score.shape)
        return np.divide(above, self.peers, out=out, where=self.peers > 0)


def reputational_loss(
    candidates: np.ndarray,
    norm: np.ndarray,
    above: np.ndarray | None,
    higher_is_better: bool,
    config: PeerPressure,
) -> np.ndarray:
    """Loss (unit-free, before sensitivity and value) of candidate figures [N, K].

    ``norm`` [N]: each physician's benchmark; ``above`` [N, K]: share of peers ranked
    above each candidate (``Ranking.share_above``; used where peers see ranks). No loss
    where the norm is missing or zero.
    """
    norm = np.asarray(norm, dtype=float)[..., None]
    valid = ~np.isnan(norm) & (norm != 0)
    sign = 1.0 if higher_is_better else -1.0
    safe = np.where(valid, norm, 1.0)
    gap = sign * (candidates - safe) / np.abs(safe)  # positive: better than the norm
    if config.norm == "top_decile":
        gap = np.minimum(gap, 0.0)  # an achievable benchmark: only a shortfall hurts
    loss = config.conformity * gap**2
    if config.transparency in RANKED and above is not None:
        loss = loss + config.rank_concern * above
    return np.where(valid, loss, 0.0)
