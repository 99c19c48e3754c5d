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

from simulate.accounts.catalogue import PEER_METRICS, higher_is_better
from simulate.accounts.ledger import BASE_PAYMENT_SLICE, F
from simulate.accounts.metrics import MetricView, value
from simulate.accounts.wait_histogram import N_BINS
from simulate.scenario.models import PeerPressure

VISIBILITY = {"none": 0.0, "private_feedback": 0.5, "internal_dashboard": 1.0, "public": 1.5}
"""Weight of reputational loss by transparency level (assumption; see docs/model.md)."""
RANKED = frozenset({"internal_dashboard", "public"})
"""Levels at which peers see each other's rank."""


def published_metrics(
    physician_sums: np.ndarray,
    hist: np.ndarray | None = None,
    team_sums: np.ndarray | None = None,
    days: float = 1.0,
    wait_target_days: float = 0.0,
) -> dict[str, np.ndarray]:
    """Dashboard figures per unit from ledger sums [unit, field] over a window: the
    catalogue's peer metrics, by the formulas of ``accounts.metrics`` (flows are window
    totals). ``hist`` [unit, wait bin] gives the wait percentiles, ``team_sums`` [unit,
    team field] the queue (each physician shows their team's); a unit without index
    episodes in the window has no figure (NaN)."""
    if hist is None:
        hist = np.zeros((len(physician_sums), N_BINS), dtype=np.int32)
    view = MetricView(physician_sums, hist, team_sums, 1.0, days, wait_target_days)
    some = physician_sums[:, F["episodes"]] > 0
    return {
        name: np.where(some, view[name], np.nan) if name in _NEED_EPISODES else view[name]
        for name in PEER_METRICS
    }


STYLE_FREE = frozenset(
    {"mean_wait_days", "p95_wait_days", "share_waiting_over_target", "mean_queue_length",
     "recovery_days", "episodes"}
)  # fmt: skip
"""Dashboard figures a physician does not expect to move with their style (waits depend
on the queue, recovery days on the draws, episodes on arrivals): their candidate figure
is the published one, so they add the same loss to every style and do not steer it."""

_NEED_EPISODES = STYLE_FREE | {"cost", "qalys"}
"""Figures that exist without index episodes (flows, waits, the queue): not shown then."""
_PER_EPISODE = ("complication_rate", "readmission_rate", "cost_per_episode", "value",
                "qalys_per_episode")  # fmt: skip
_FLOWS = {"cost": "cost_per_episode", "qalys": "qalys_per_episode"}


def candidate_metrics(
    expect: dict[str, np.ndarray],
    shown: dict[str, np.ndarray] | None = None,
    names: tuple[str, ...] = _PER_EPISODE,
) -> dict[str, np.ndarray]:
    """The dashboard figures ``names`` a physician expects under candidate styles, from
    ``expected_per_episode`` [N, K]. Flows (cost, QALYs over the window) are the
    published episodes times the expected figure per episode; ``STYLE_FREE`` figures
    are the published ones (``shown``, per physician [N])."""
    shape = np.shape(expect["cost_per_episode"])
    out = {}
    for name in names:
        if name == "value":
            figure = value(expect["qalys_per_episode"], expect["cost_per_episode"])
        elif name in _FLOWS:
            figure = shown["episodes"][:, None] * expect[_FLOWS[name]]
        elif name in STYLE_FREE:
            figure = shown[name][:, None]
        else:
            figure = expect[name]
        out[name] = np.broadcast_to(figure, shape)
    return out


def peer_norms(values: np.ndarray, team_of: np.ndarray, norm: str, higher_is_better) -> np.ndarray:
    """Each physician's benchmark among their teammates' ``values`` (themselves excluded):
    the median or the top decile (percentiles interpolated linearly between order
    statistics, as ``numpy.percentile``); NaN without data.

    ``values`` is [N] or [M, N] for M metrics at once, ``higher_is_better`` one flag or
    one per metric.
    """
    values = np.asarray(values, dtype=float)
    stacked = np.atleast_2d(values)
    better = np.broadcast_to(np.asarray(higher_is_better, dtype=bool), (len(stacked),))
    q = np.where(better, 0.9, 0.1) if norm == "top_decile" else np.full(len(stacked), 0.5)
    out = np.full(stacked.shape, np.nan)
    for team in np.unique(team_of):
        members = np.flatnonzero(team_of == team)
        out[:, members] = _percentile_of_others(stacked[:, members], q)
    return out if values.ndim == 2 else out[0]


def _percentile_of_others(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """For each member j of a team [M, n]: the ``q`` quantile (per metric) of the others'
    values, NaN ignored. Sorted once: leaving one value out shifts the order statistics
    above it down by one, so the cost is n log n, not n^2."""
    m, n = values.shape
    rows = np.arange(m)[:, None]
    order = np.argsort(values, axis=1, kind="stable")  # NaN last
    ranked = values[rows, order]
    valid = ~np.isnan(values)
    count = valid.sum(axis=1, keepdims=True) - valid  # the others with a value [M, n]
    rank = np.empty_like(order)
    rank[rows, order] = np.arange(n)
    position = q[:, None] * np.maximum(count - 1, 0)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, np.maximum(count - 1, 0))

    def others(k: np.ndarray) -> np.ndarray:  # the k-th smallest of the others
        skip = valid & (k >= rank)  # at or past one's own place: one further along
        return ranked[rows, np.minimum(k + skip, n - 1)]

    below, above = others(low), others(high)
    value = np.where(high == low, below, below + (position - low) * (above - below))
    return np.where(count > 0, value, np.nan)


def income_per_episode(physician_sums: np.ndarray) -> np.ndarray:
    """Each physician's income per index episode over a window [N] (currency): gross base
    payment plus net incentives, over index episodes, floored at 0; a physician without
    episodes gets the mean of those with (the income at stake of ``stake: income``)."""
    income = physician_sums[:, BASE_PAYMENT_SLICE].sum(axis=1) + physician_sums[:, F["incentives"]]
    episodes = physician_sums[:, F["episodes"]]
    some = episodes > 0
    per = np.maximum(np.divide(income, episodes, out=np.zeros(len(income)), where=some), 0.0)
    return np.where(some, per, per[some].mean() if some.any() else 0.0)


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


class Comparison:
    """What a physician compares candidate figures with, from one publication: per
    dashboard metric, their norm and their teammates' published figures (ranked).

    Built once per publication; :meth:`loss` then prices many candidate styles of
    every physician at once (metrics stacked: one pass, not one per metric).
    """

    def __init__(
        self,
        shown: dict[str, np.ndarray],
        norms: dict[str, np.ndarray],
        team_of: np.ndarray,
        config: PeerPressure,
    ) -> None:
        self.metrics = tuple(config.metrics)
        self.config = config
        self.sign = np.array([1.0 if higher_is_better(m) else -1.0 for m in self.metrics])
        norm = np.stack([norms[m] for m in self.metrics])[..., None]  # [M, N, 1]
        self.valid = ~np.isnan(norm) & (norm != 0)
        """A metric without a norm (or a norm of 0) costs nothing, rank concern included."""
        self.norm = np.where(self.valid, norm, 1.0)
        score = self.sign[:, None] * np.stack([shown[m] for m in self.metrics])  # [M, N]
        self.ranked = config.transparency in RANKED
        teams = np.unique(team_of)
        self.sorted = [
            [np.sort(row[(team_of == t) & ~np.isnan(row)]) for t in teams] for row in score
        ]
        ordered = bool(np.all(np.diff(team_of) >= 0))
        edges = np.flatnonzero(np.diff(team_of)) + 1
        starts, ends = np.r_[0, edges], np.r_[edges, len(team_of)]
        self.blocks = (
            list(zip(np.searchsorted(teams, team_of[starts]), starts, ends, strict=True))
            if ordered
            else None
        )
        self.rows = None if self.blocks is not None else [team_of == t for t in teams]
        self.own = score[..., None]
        self.own_valid = ~np.isnan(self.own)
        counts = np.array([[len(v) for v in per_team] for per_team in self.sorted])  # [M, T]
        self.peers = (counts[:, np.searchsorted(teams, team_of)] - self.own_valid[..., 0])[
            ..., None
        ]
        """Teammates with a figure, the physician excluded [M, N, 1]."""

    def share_above(self, score: np.ndarray) -> np.ndarray:
        """Share of teammates (with a figure, themselves excluded) whose published figure
        is better than each candidate score [M, N, K] (scores signed: higher is better)."""
        above = np.zeros(score.shape)
        for m, per_team in enumerate(self.sorted):
            if self.blocks is not None:  # physicians in team order: contiguous blocks
                for t, start, end in self.blocks:
                    ranked = per_team[t]
                    above[m, start:end] = len(ranked) - ranked.searchsorted(
                        score[m, start:end], "right"
                    )
            else:
                for ranked, rows in zip(per_team, self.rows, strict=True):
                    above[m, rows] = len(ranked) - ranked.searchsorted(score[m, rows], "right")
        above -= self.own_valid & (self.own > score)  # the physician's own figure
        return np.divide(above, self.peers, out=np.zeros(score.shape), where=self.peers > 0)

    @property
    def shortfall_only(self) -> bool:
        """Whether only a figure worse than the norm counts (one-sided feedback, or the
        top-decile norm by default: an achievable benchmark)."""
        config = self.config
        return config.one_sided or (config.feedback is None and config.norm == "top_decile")

    def gaps(self, x: np.ndarray, clip: bool = True) -> np.ndarray:
        """Signed relative gaps g = d (x - T) / |T| of figures ``x`` [M, N, K] to the
        norm (+: better), clipped at 0 where only a shortfall counts (``clip``)."""
        gap = self.sign[:, None, None] * (x - self.norm) / np.abs(self.norm)
        return np.minimum(gap, 0.0) if clip and self.shortfall_only else gap

    def loss(self, candidates: dict[str, np.ndarray]) -> np.ndarray:
        """Reputational loss (unit-free, before sensitivity, visibility and value) of the
        figures [N, K] each candidate style implies, summed over the dashboard's metrics.

        Per metric: conformity x the squared relative gap to the norm (top decile: a
        shortfall only), plus rank concern x the share of peers ranked above where
        peers see ranks (``RANKED``). One-sided feedback (``PeerPressure.one_sided``):
        a figure at or better than the norm costs nothing, rank concern included.
        """
        x = np.stack([candidates[m] for m in self.metrics])  # [M, N, K]
        score = self.sign[:, None, None] * x
        gap = self.gaps(x)
        config = self.config
        one_sided = config.one_sided
        loss = config.conformity * gap**2
        if self.ranked:
            rank = config.rank_concern * self.share_above(score)
            loss = loss + (np.where(gap < 0, rank, 0.0) if one_sided else rank)
        # no figure to compare (a published figure missing: no episodes) costs nothing
        return np.add.reduce(np.where(self.valid & ~np.isnan(loss), loss, 0.0), axis=0)
