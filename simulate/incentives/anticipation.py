"""What-ifs: what a rule would pay each physician under candidate sums of their own.

A physician choosing a style asks what each rule in force would pay them if their own
window sums were those the style implies, everyone else's staying as observed. The
answer comes from the payer's own pieces: the same metric reader (risk adjustment), the
rule's own ``anticipate`` (its ``settle`` on each candidate as a unit: caps, gates,
withholds; the tournament ranks it among the observed peers) and the same split basis.
Team and organisation sums are updated from the observed ones (own row out, candidate
in), so the cost is linear in physicians. When the realised sums equal a candidate's,
what is anticipated is what the payer pays (``tests/test_settlement.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulate.accounts.ledger import BASE_PAYMENT_SLICE, F
from simulate.incentives.rules import Evaluation, Peers
from simulate.incentives.window import MetricReader, WindowSums, shares, split_basis

if TYPE_CHECKING:
    from simulate.incentives.payer import Payer

_ONE = np.ones((1, 1))
"""A physician's share of their own amount at physician level (broadcasts)."""

Perceive = Callable[[str, np.ndarray, np.ndarray], np.ndarray]
"""``perceive(metric, values [N, K], episodes [N, K]) -> values [N, K, D]``: how a
physician expects measured figures to scatter around what a style implies (D draws)."""


@dataclass(frozen=True)
class Anticipation:
    """What one rule would pay each physician under each candidate."""

    amount: np.ndarray
    """The amount of the physician's unit after the cap [N, K, D] (D noise draws; 1
    where the rule's figures are not measured with noise)."""
    share: np.ndarray
    """The physician's share of it [N, K] (at physician level 1, shape [1, 1])."""
    withheld: np.ndarray
    """Withheld from the physician over the window [N, K] (withholds only)."""

    @property
    def net(self) -> np.ndarray:
        """Paid minus withheld, per physician, candidate and draw [N, K, D] (currency)."""
        return self.amount * self.share[..., None] - self.withheld[..., None]


class Candidates:
    """Each physician's candidate window sums [N, K, fields] on one observed window, and
    what every rule's what-if derives from them alone: computed once, shared by the
    rules evaluated on that window."""

    def __init__(self, own: np.ndarray, window: WindowSums) -> None:
        self.own, self.window = own, window
        self.swap = own - window.physician[:, None, :]
        """Own candidate sums minus own observed sums."""
        self.own_base = np.add.reduce(own[..., BASE_PAYMENT_SLICE], axis=-1)
        """Base payment under each candidate [N, K] (currency)."""
        self._org = None

    def organisation(self, what_if: WhatIf):
        """The organisation's metrics with each candidate in (shared by the rules)."""
        if self._org is None:
            org_sums, org_hist, org_team = what_if.org
            self._org = what_if.payer.metrics_of(
                org_sums + self.swap, org_hist, org_team, self.window.periods
            )
        return self._org


class WhatIf:
    """Rule ``r`` of ``payer``, evaluated at the close of ``period`` on an observed
    ``window`` (and ``baseline``), prepared once and asked about many candidates.

    The rule is taken to be in force over the whole window: a withhold holds back its
    share of everyone's base payment.
    """

    def __init__(
        self,
        payer: Payer,
        r: int,
        period: int,
        window: WindowSums,
        baseline: WindowSums | None = None,
    ) -> None:
        rule = payer.rules[r]
        self.payer, self.rule, self.period, self.window = payer, rule, period, window
        level = rule.level
        self.unit = payer.unit_of(level)
        part = payer.level_slice(level)
        sums, hist, team, self.metrics = payer.units(window)
        self.unit_sums = sums[part][self.unit]
        """Each physician's unit's observed sums [N, fields]."""
        self.unit_hist, self.unit_team = (
            hist[part][self.unit][:, None],
            team[part][self.unit][:, None],
        )
        self.org = (sums[-1], hist[-1], team[-1])
        base = window.physician[:, BASE_PAYMENT_SLICE].sum(axis=1)
        self.others_base = self.unit_sums[:, BASE_PAYMENT_SLICE].sum(axis=1) - base
        """Base payment of the rest of each physician's unit, as observed [N]."""
        n_units = part.stop - part.start
        self._baseline = payer.reader(payer.metrics(baseline), level)
        self._n_units = n_units
        self.org_rate, self.power = MetricReader.org_dependence(rule.metric, rule.risk_adjusted)
        self.reach = payer.reached(r)
        """1 for the physicians the rule reaches, 0 for the others (1.0: everyone)."""
        self.peers = Peers(
            values=payer.masked(r, payer.reader(self.metrics, level))(
                rule.metric, rule.risk_adjusted
            ),
            groups=payer.team_of if level == "physician" else np.zeros(n_units, int),
            own=self.unit[:, None, None],
        )
        self.members = payer.members(level)
        self.others = np.zeros(len(self.unit))
        """Split weight of the rest of each physician's unit, as observed [N]."""
        if level != "physician":
            values = payer.reader(self.metrics, "physician")(rule.metric, rule.risk_adjusted)
            episodes = window.physician[:, F["episodes"]]
            weight = split_basis(rule, episodes, values, base, rule.withhold_share() * base)
            self.others = payer.aggregate(weight, level)[self.unit] - weight
            self.own_weight = weight
            """Each physician's own split weight, as observed [N]."""
        self.symmetric = payer.symmetric and level != "physician"
        """Colleagues are expected to respond as the physician does (see ``symmetric``)."""

    def __call__(
        self, own: np.ndarray | Candidates, perceive: Perceive | None = None
    ) -> Anticipation:
        """What the rule would pay if each physician's own window sums were each row of
        ``own`` [N, K, fields] (or :class:`Candidates` built from them, to share work
        between rules); ``perceive`` adds the sampling noise physicians expect on
        measured figures (D draws; without it D = 1)."""
        rule, payer, window = self.rule, self.payer, self.window
        candidates = own if isinstance(own, Candidates) else Candidates(own, window)
        own = candidates.own
        virtual, org = self._unit_and_organisation(candidates)
        units = payer.metrics_of(virtual, self.unit_hist, self.unit_team, window.periods)
        read = MetricReader(units, org)
        episodes = units["episodes"]
        seen: dict[tuple[str, bool], np.ndarray] = {}
        reach = None if np.ndim(self.reach) == 0 else self.reach[:, None, None] > 0

        def metric(name: str, risk_adjusted: bool) -> np.ndarray:
            """Values [N, K, D] (D = 1 for figures measured without noise)."""
            if (name, risk_adjusted) not in seen:
                values = read(name, risk_adjusted)
                values = values[..., None] if perceive is None else perceive(name, values, episodes)
                if reach is not None:  # outside the target set: nothing to judge
                    values = np.where(reach, values, np.nan)
                seen[name, risk_adjusted] = values
            return seen[name, risk_adjusted]

        def baseline(name: str, risk_adjusted: bool) -> np.ndarray:
            per_unit = np.broadcast_to(self._baseline(name, risk_adjusted), (self._n_units,))
            return per_unit[self.unit][:, None, None]

        withhold = rule.withhold_share() * np.reshape(self.reach, (-1, 1))
        if self.symmetric:
            base = np.add.reduce(virtual[..., BASE_PAYMENT_SLICE], axis=-1)[..., None]
        else:
            base = (self.others_base[:, None] + candidates.own_base)[..., None]
        evaluation = Evaluation(
            period=self.period,
            metric=metric,
            baseline=baseline,
            base_payment=base,
            withheld=withhold[..., None] * base,
            window_periods=window.periods,
        )
        scale = None  # the candidates' figures do not depend on the organisation's rate
        if self.power:
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = (org[self.org_rate] / self.metrics[self.org_rate][-1]) ** self.power
        amount = rule.anticipate(
            evaluation, self.peers, None if scale is None else scale[..., None]
        )
        own_base = candidates.own_base
        own_withheld = withhold * own_base
        share = self._share(own, own_base, own_withheld, scale, virtual)
        return Anticipation(amount, share, own_withheld)

    def _unit_and_organisation(self, candidates: Candidates):
        """The unit's sums with each candidate in [N, K, fields] (colleagues as observed,
        or moving alike: ``symmetric_sums``) and the organisation's metrics then."""
        if not self.symmetric:
            return self.unit_sums[:, None, :] + candidates.swap, candidates.organisation(self)
        virtual = self.symmetric_sums(candidates)
        org_sums, org_hist, org_team = self.org
        moved = org_sums + (virtual - self.unit_sums[:, None, :])
        return virtual, self.payer.metrics_of(moved, org_hist, org_team, self.window.periods)

    def symmetric_sums(self, candidates: Candidates) -> np.ndarray:
        """The unit's sums [N, K, fields] when every member moves as the candidate does:
        each colleague's sums scaled field by field by the candidate's own ratio
        (candidate / observed), so the unit's sums are the observed ones times that ratio;
        where the physician's observed field is 0 the ratio is unknown, and the candidate's
        change is added once (colleagues as observed)."""
        observed = self.window.physician[:, None, :]
        unit = self.unit_sums[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = unit * (candidates.own / observed)
        return np.where(observed != 0, scaled, unit + candidates.swap)

    def _share(self, own, own_base, own_withheld, scale, virtual) -> np.ndarray:
        """Each candidate's share of their unit's amount: their split weight over the
        unit's observed total with their own observed weight swapped for the candidate's
        (symmetric: over the unit's total as everyone moves, ``virtual``)."""
        rule, window = self.rule, self.window
        if rule.level == "physician":
            return _ONE
        others = self.others[:, None]
        if self.symmetric and (rule.split_basis is not None or rule.split == "episodes"):
            rest = virtual - own  # the colleagues, each moved as the candidate
            rest_base = np.add.reduce(rest[..., BASE_PAYMENT_SLICE], axis=-1)
            withheld = rule.withhold_share() * rest_base
            others = split_basis(rule, rest[..., F["episodes"]], None, rest_base, withheld)
        own_values = None  # needed by the contribution split only
        if rule.split == "contribution" and rule.split_basis is None:
            # the candidate's own figure, read against the organisation as it would be
            payer, observed = self.payer, window.physician
            org = observed.sum(axis=0) + own - observed[:, None, :]
            own_metrics = payer.metrics_of(own, window.hist[:, None, :], None, window.periods)
            org_metrics = payer.metrics_of(org, window.hist.sum(axis=0), None, window.periods)
            own_values = MetricReader(own_metrics, org_metrics)(rule.metric, rule.risk_adjusted)
            # every peer's figure moves with the organisation's rate: weights scale alike
            if scale is not None:
                others = others * scale**rule.spec.sign
        mine = split_basis(rule, own[..., F["episodes"]], own_values, own_base, own_withheld)
        if self.symmetric and rule.split == "contribution" and rule.split_basis is None:
            # every weight in the unit moves by the candidate's factor: the observed shares
            observed = self.own_weight[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                moved = self.others[:, None] * (mine / observed)
            others = np.where(observed > 0, moved, self.others[:, None])
        return shares(mine, others + mine, self.members[:, None])
