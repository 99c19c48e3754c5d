"""Behaviour mechanisms: each one class, one scenario section, one registry entry.

A mechanism is an optional part of how physicians choose their style or how patients
reach them. Each class says where the scenario configures it (``section``, its schema
entry), whether it needs adaptive physicians, whether a scenario turns it on, and, if
it adds a style dimension, declares it (:class:`Dimension`): the adaptive model
searches it, the population and the world carry it and the physicians table writes it
(``style_<name>``), all from :data:`STYLE_DIMENSIONS`.

The state a mechanism keeps over a run lives on its instance: the motivation stock
(crowding-out), the published dashboard and norms (peer pressure, lead influence), the
public ranking and referral shares (referral shift), the investments in coordination
(organisational response, in its own module ``organisation``). Pure numpy, no SimPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from simulate.accounts.catalogue import higher_is_better
from simulate.accounts.ledger import BASE_PAYMENT_SLICE, F, PeriodLedger
from simulate.behaviour import peer
from simulate.behaviour.organisation import OrganisationalResponse
from simulate.incentives.targeting import PEER_OWNER


@dataclass(frozen=True)
class Dimension:
    """A style dimension a mechanism adds to intensity and quality effort."""

    name: str
    low: float
    high: float
    grid_points: int
    """Points of the adaptive model's coarse grid along it."""
    relative_cost: float
    """Adjustment cost relative to intensity and effort's (0: it has its own cost)."""


class Mechanism(Protocol):
    """What every mechanism declares (see the module docstring)."""

    name: ClassVar[str]
    section: ClassVar[tuple[str, ...]]
    """Where a scenario configures it (its schema entry)."""
    adaptive_only: ClassVar[bool]
    """It changes how physicians adapt, so it needs ``behaviour.model: adaptive``."""
    dimension_name: ClassVar[str | None]
    """The style dimension it adds (None: none)."""

    @staticmethod
    def enabled(scenario) -> bool:
        """Whether ``scenario`` turns it on."""
        ...


# ------------------------------------------------------------ style dimensions
class Multitasking:
    """Quality effort shifted between readmission and complication prevention (focus)."""

    name = "multitasking"
    section = ("behaviour", "multitasking")
    adaptive_only = True
    dimension_name = "focus"

    @staticmethod
    def enabled(scenario) -> bool:
        return scenario.behaviour.multitasking.enabled

    @staticmethod
    def dimension(scenario) -> Dimension:
        config = scenario.behaviour
        top = config.multitasking.max_focus
        relative = config.multitasking.shift_cost / config.adjustment_cost
        return Dimension("focus", -top, top, 5, relative)


class Selection:
    """Risk selection: physicians decline a share of high-risk patients (at a private
    cost x share^2 / 2), who are referred elsewhere."""

    name = "selection"
    section = ("behaviour", "selection")
    adaptive_only = True
    dimension_name = "selection"

    @staticmethod
    def enabled(scenario) -> bool:
        return scenario.behaviour.selection.enabled

    @staticmethod
    def dimension(scenario) -> Dimension:
        return Dimension("selection", 0.0, scenario.behaviour.selection.max_share, 5, 0.0)

    @staticmethod
    def cost(scenario, declined: np.ndarray) -> np.ndarray:
        """The private cost per episode of declining the share ``declined``."""
        return scenario.behaviour.selection.cost * declined**2 / 2

    @staticmethod
    def problems(scenario) -> list[tuple[tuple, str]]:
        """Selection needs a high-risk severity class to decline."""
        if Selection.enabled(scenario) and not any(c.high_risk for c in scenario.severity.classes):
            return [
                (
                    ("behaviour", "selection", "enabled"),
                    "selection declines high-risk patients, but no severity class has "
                    "high_risk: true",
                )
            ]
        return []


# ------------------------------------------------------------------ motivation
class CrowdingOut:
    """Motivation crowding-out: altruism is scaled by a motivation stock that erodes with
    the share of income from incentives and recovers toward 1."""

    name = "crowding_out"
    section = ("behaviour", "crowding_out")
    adaptive_only = True
    dimension_name = None

    def __init__(self, scenario, size: int) -> None:
        self.config = scenario.behaviour.crowding_out
        self.motivation = np.ones(size)
        """Intrinsic motivation per physician, a multiplier of altruism."""

    @staticmethod
    def enabled(scenario) -> bool:
        return scenario.behaviour.crowding_out.enabled

    def at_close(self, period: int, ledger: PeriodLedger) -> None:
        """Motivation falls with the share of income from incentives over the window."""
        config = self.config
        if not config.enabled:
            return
        window = ledger.physician[max(0, period - config.window + 1) : period + 1]
        at_risk = np.abs(window[:, :, F["incentives"]]).sum(axis=0)
        base = window[:, :, BASE_PAYMENT_SLICE].sum(axis=(0, 2))
        income = base + at_risk
        share = np.divide(at_risk, income, out=np.zeros_like(income), where=income > 0)
        m = self.motivation
        self.motivation = np.clip(
            m - config.strength * share * m + config.recovery * (1.0 - m), 0.0, 1.0
        )


# -------------------------------------------------------------- peer pressure
class LeadInfluence:
    """Each team's lead (its first physician) pulls the team's norm toward their figure."""

    name = "lead_influence"
    section = ("peer_pressure", "lead_influence")
    adaptive_only = False
    dimension_name = None

    def __init__(self, scenario, team_of: np.ndarray) -> None:
        self.influence = scenario.peer_pressure.lead_influence
        leads = np.array([np.flatnonzero(team_of == t)[0] for t in range(len(scenario.teams))])
        self.lead_of = leads[team_of]
        """Each physician's team lead."""
        self.is_lead = self.lead_of == np.arange(len(team_of))

    @staticmethod
    def enabled(scenario) -> bool:
        return scenario.peer_pressure.lead_influence > 0

    def pull(self, norm: np.ndarray, shown: np.ndarray) -> np.ndarray:
        """Norms [M, N] pulled toward the leads' figures ``shown`` [M, N]."""
        return peer.lead_norms(norm, shown[:, self.lead_of], self.influence, self.is_lead)


class PeerPressure:
    """The dashboard: at each publication physicians see their figures against a norm
    (peers' median or top decile, or their own history; pulled toward the lead) and
    weigh the reputational loss of a style (``peer.Comparison``)."""

    name = "peer_pressure"
    section = ("peer_pressure",)
    adaptive_only = False
    dimension_name = None

    def __init__(self, scenario, team_of: np.ndarray) -> None:
        self.config = scenario.peer_pressure
        self.team_of = team_of
        self.period_days = scenario.period_days
        self.wait_target_days = scenario.metrics.wait_target_days
        self.reached: np.ndarray | None = None
        """Who gets the feedback (the target set; None: everyone)."""
        self.lead = LeadInfluence(scenario, team_of)
        self.dashboard: dict[str, np.ndarray] | None = None
        """The last published figures per physician (None before the first publication)."""
        self.history: dict[str, np.ndarray] | None = None
        """Mean of each physician's earlier published figures (the own-history norm)."""
        self.comparison: peer.Comparison | None = None
        """Norms and peers from the last publication (None when nothing is published)."""
        self.stake: np.ndarray | float = self.config.reputation_value
        """Currency per index episode of a unit of loss: ``reputation_value``, or with
        ``stake: income`` each physician's ``income_share`` x income per index episode
        over the last published window [N]."""
        self.publications = 0

    @staticmethod
    def enabled(scenario) -> bool:
        return scenario.peer_pressure.transparency != "none"

    def show(self, figures: dict[str, np.ndarray]) -> None:
        """Publish figures per physician: each physician's norms and peers to compare with."""
        self.dashboard = figures
        n = len(self.team_of)
        metrics = self.config.metrics
        shown = np.stack([figures[name] for name in metrics])
        if self.config.norm == "own_history":
            history = self.history
            norm = np.stack(
                [history[name] if history is not None else np.full(n, np.nan) for name in metrics]
            )
        else:
            better = [higher_is_better(name) for name in metrics]
            norm = peer.peer_norms(shown, self.team_of, self.config.norm, better)
        norms = dict(zip(metrics, self.lead.pull(norm, shown), strict=True))
        self.comparison = peer.Comparison(figures, norms, self.team_of, self.config)

    def at_close(self, period: int, ledger: PeriodLedger, targets=None) -> None:
        """Publish the dashboard at the close of ``period`` when it is due; ``targets``
        (the payer's ``Targets``): who gets the feedback when it targets."""
        config = self.config
        if targets is not None:
            self.reached = targets.mask(PEER_OWNER)
        if config.lapsed(period):
            self.dashboard = self.comparison = None  # withdrawn: nothing to compare with
        if not config.publishes_at(period):
            return
        span = slice(max(0, period - config.window + 1), period + 1)
        team = None  # a physician's queue is their team's
        if "mean_queue_length" in config.metrics:
            team = ledger.team[span].sum(axis=0)[self.team_of]
        days = (span.stop - span.start) * self.period_days
        sums = ledger.physician[span].sum(axis=0)
        figures = peer.published_metrics(
            sums, ledger.wait_hist[span].sum(axis=0), team, days, self.wait_target_days
        )
        if config.stake == "income":
            self.stake = config.income_share * peer.income_per_episode(sums)
        if self.dashboard is not None:
            self._remember(self.dashboard)
        self.show(figures)
        self.publications += 1

    def _remember(self, shown: dict[str, np.ndarray]) -> None:
        """Fold the last publication into each physician's running mean (NaN: no data)."""
        count = self.publications
        if self.history is None:
            self.history = {name: v.copy() for name, v in shown.items()}
            return
        for name, values in shown.items():
            old = self.history[name]
            self.history[name] = np.where(
                np.isnan(old),
                values,
                np.where(np.isnan(values), old, old + (values - old) / count),
            )

    def loss(self, expect: dict[str, np.ndarray]) -> np.ndarray:
        """Reputational loss per episode (currency) [N, K] of the figures styles imply."""
        visibility = peer.VISIBILITY[self.config.transparency]
        if self.comparison is None or visibility == 0:
            return np.zeros(expect["cost_per_episode"].shape)
        figures = peer.candidate_metrics(expect, self.dashboard, self.config.metrics)
        loss = self.comparison.loss(figures)
        if self.reached is not None:  # feedback to the target set only
            loss = loss * self.reached[:, None]
        return visibility * np.reshape(self.stake, (-1, 1)) * loss


class ReferralShift:
    """Public reporting: patients see value rankings and some choose by them.

    At each publication (the peer-pressure schedule), physicians are ranked by value
    within their team over the rolling window, and each condition's routing shares
    across teams become capacity x (1 + referral_shift x score), score running from
    +1 for the best-valued team to -1 for the worst. After the schedule's end, rankings
    lapse and routing returns to capacity shares.

    ``rank`` and ``route_cut`` are updated in place, so the world may hold them.
    """

    name = "referral_shift"
    section = ("peer_pressure", "referral_shift")
    adaptive_only = False
    dimension_name = None

    def __init__(self, scenario, team_of: np.ndarray, routes: list[tuple]) -> None:
        self.config = scenario.peer_pressure
        self.shift = self.config.referral_shift if self.enabled(scenario) else 0.0
        self.team_of = team_of
        self.n_teams = len(scenario.teams)
        self.routes = routes
        """Per condition: the teams treating it and their cumulative capacity shares."""
        self.rank = [0] * len(team_of)
        """Each physician's published rank by value within their team (0: best)."""
        self.route_cut = [cut.tolist() for _, cut in routes]
        """Cumulative routing shares in force per condition."""

    @staticmethod
    def enabled(scenario) -> bool:
        pressure = scenario.peer_pressure
        return pressure.transparency == "public" and pressure.referral_shift > 0

    def at_close(self, period: int, ledger: PeriodLedger) -> None:
        """Rank and reroute at a publication; reset once publication has lapsed."""
        config = self.config
        if config.lapsed(period):
            self.rank[:] = [0] * len(self.rank)
            self.route_cut[:] = [cut.tolist() for _, cut in self.routes]
            return
        if not config.publishes_at(period):
            return
        window = ledger.physician[max(0, period - config.window + 1) : period + 1]
        sums = window.sum(axis=0)
        self.rank[:] = self._ranks(sums).tolist()
        team_sums = np.stack([sums[self.team_of == t].sum(axis=0) for t in range(self.n_teams)])
        team_value = np.nan_to_num(peer.published_metrics(team_sums)["value"], nan=-np.inf)
        for c, (teams, cut) in enumerate(self.routes):
            if len(teams) < 2:
                continue
            capacity = np.diff(np.concatenate([[0.0], cut]))
            order = np.argsort(-team_value[teams], kind="stable")
            score = np.empty(len(teams))
            score[order] = 1.0 - 2.0 * np.arange(len(teams)) / (len(teams) - 1)
            weights = capacity * (1.0 + config.referral_shift * score)
            self.route_cut[c] = (np.cumsum(weights) / weights.sum()).tolist()

    def _ranks(self, sums: np.ndarray) -> np.ndarray:
        """Each physician's rank by value within their team (ties: lower index first)."""
        value = np.nan_to_num(peer.published_metrics(sums)["value"], nan=-np.inf)
        rank = np.zeros(len(self.team_of), dtype=int)
        for t in range(self.n_teams):
            members = np.flatnonzero(self.team_of == t)
            order = members[np.argsort(-value[members], kind="stable")]
            rank[order] = np.arange(len(order))
        return rank


MECHANISMS: dict[str, type] = {
    cls.name: cls
    for cls in (
        Multitasking,
        Selection,
        CrowdingOut,
        PeerPressure,
        LeadInfluence,
        ReferralShift,
        OrganisationalResponse,
    )
}
"""Every mechanism by name: adding one is a class here, its scenario section, one test.
The order is that of the style dimensions they add."""

BASE_DIMENSIONS: tuple[str, ...] = ("intensity", "quality_effort")
"""The style dimensions every physician has."""
STYLE_DIMENSIONS: tuple[str, ...] = (
    *BASE_DIMENSIONS,
    *(cls.dimension_name for cls in MECHANISMS.values() if cls.dimension_name),
)
"""Every style dimension: the population, the world's history and the outputs follow it."""


def style_dimensions(scenario) -> list[Dimension]:
    """The dimensions the scenario's mechanisms add, in ``STYLE_DIMENSIONS`` order."""
    return [
        cls.dimension(scenario)
        for cls in MECHANISMS.values()
        if cls.dimension_name and cls.enabled(scenario)
    ]
